// Kong service, route and plugin-entry fields through a real edge: where a request goes and the
// path it arrives with, what `enabled: false` does, and plugin references by id.
import assert from 'node:assert/strict';
import type { AgentHandle, ServiceHandle } from '../support/harness.js';
import { useHarness } from '../support/harness.js';
import type { Echo } from '../support/http.js';

const U = (n: number): string => `7c0ffee0-0000-4000-8000-${String(n).padStart(12, '0')}`;
const addHeader = (header: string) => ({ name: 'request-transformer', config: { add: { headers: [`${header}:on`] } } });

describe('Kong services, routes and plugin entries end to end (decK, one edge)', function () {
  this.timeout(30_000);
  const harness = useHarness('kong-entities', { consul: false });
  let web: ServiceHandle;
  let edge: AgentHandle;

  before(async function () {
    const h = harness();
    web = await h.startService('web', 'web-1');
    edge = await h.startDeck('kong-entities', {
      _format_version: '3.0',
      services: [
        {
          name: 'by-url', id: U(1), url: `http://127.0.0.1:${web.port}/base`,
          routes: [
            { name: 'strip', id: U(2), paths: ['/strip'] },
            { name: 'keep', paths: ['/keep'], strip_path: false, methods: ['POST'] },
            { name: 'host', hosts: ['api.test'], paths: ['/h'] },
            { name: 'who', paths: ['/who'] },
          ],
        },
        { name: 'by-parts', protocol: 'http', host: '127.0.0.1', port: web.port, path: '/parts', routes: [{ name: 'parts', paths: ['/p'] }], plugins: [{ ...addHeader('x-disabled'), enabled: false }] },
        { name: 'off', enabled: false, url: `http://127.0.0.1:${web.port}/off`, routes: [{ name: 'off', paths: ['/off'] }] },
      ],
      consumers: [{ username: 'ann', id: U(3), keyauth_credentials: [{ key: 'ann-key' }] }],
      plugins: [
        { ...addHeader('x-by-ids'), service: U(1), route: { id: U(2) } },
        { name: 'key-auth', route: 'who' },
        { ...addHeader('x-consumer-plugin'), consumer: { id: U(3) }, route: { name: 'who' } },
      ],
    });
  });

  it('service url, or protocol, host, port and path; route paths, strip_path, methods and hosts: where each request goes and the path it arrives with', async () => {
    const h = harness();
    const rows: { method: 'GET' | 'POST'; path: string; host?: string; status: number; upstreamPath?: string }[] = [
      { method: 'GET', path: '/strip/x?q=1', status: 200, upstreamPath: '/base/x?q=1' },
      { method: 'POST', path: '/keep/x', status: 200, upstreamPath: '/base/keep/x' },
      { method: 'GET', path: '/keep/x', status: 404 },
      { method: 'GET', path: '/h/1', host: 'api.test', status: 200, upstreamPath: '/base/1' },
      { method: 'GET', path: '/h/1', host: 'other.test', status: 404 },
      { method: 'GET', path: '/p/y', status: 200, upstreamPath: '/parts/y' },
    ];
    for (const row of rows) {
      const headers: Record<string, string> = row.host === undefined ? {} : { host: row.host };
      const r = row.method === 'GET' ? await h.http.get(`${edge.url}${row.path}`, { headers }) : await h.http.post(`${edge.url}${row.path}`, 'x', { headers });
      assert.equal(r.status, row.status, `${row.method} ${row.path} ${row.host ?? ''}: ${r.status} ${r.text}`);
      if (row.upstreamPath !== undefined) {
        const echo = r.json<Echo>();
        assert.equal(echo.path, row.upstreamPath, `${row.method} ${row.path}`);
        assert.equal(echo.method, row.method);
      }
    }
  });

  it('enabled: false: a disabled service\'s routes answer 404 as if absent, and a disabled plugin does not run', async () => {
    const h = harness();
    const off = await h.http.get(`${edge.url}/off`);
    assert.equal(off.status, 404, off.text);
    assert.equal(off.json().message, 'no Route matched with those values');
    const parts = await h.http.get(`${edge.url}/p/y`);
    assert.equal(parts.status, 200, parts.text);
    assert.equal(parts.json<Echo>().headers['x-disabled'], undefined);
  });

  it('plugin entries name their service, route and consumer by id: each runs exactly where its references point', async () => {
    const h = harness();
    const strip = (await h.http.get(`${edge.url}/strip/x`)).json<Echo>();
    assert.equal(strip.headers['x-by-ids'], 'on', 'service and route by id');
    const keep = (await h.http.post(`${edge.url}/keep/x`, 'x')).json<Echo>();
    assert.equal(keep.headers['x-by-ids'], undefined, 'same service, another route');
    const asAnn = (await h.http.get(`${edge.url}/who`, { headers: { apikey: 'ann-key' } })).json<Echo>();
    assert.equal(asAnn.headers['x-consumer-id'], U(3));
    assert.equal(asAnn.headers['x-consumer-plugin'], 'on', 'consumer by id');
  });
});
