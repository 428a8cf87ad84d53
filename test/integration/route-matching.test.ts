// Route matching details through a real edge process: `headers`, `regex_priority`, `preserve_host`.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { useHarness } from '../support/harness.js';

describe('route headers, regex_priority and preserve_host end to end', function () {
  const harness = useHarness('route-matching', { consul: false });
  let upstream: http.Server;
  let upstreamPort = 0;
  before(async () => {
    // answers with the service name from the path prefix it was sent to and the Host it received
    upstream = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: req.url, host: req.headers.host })));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamPort = (upstream.address() as AddressInfo).port;
  });
  after(() => { upstream.closeAllConnections(); upstream.close(); });

  const service = (name: string, routes: object[]) => ({ name, url: `http://127.0.0.1:${upstreamPort}/${name}`, routes });

  it('a route with headers takes only requests carrying one of its values (exact, or ~* case-insensitive regex)', async () => {
    const h = harness();
    const edge = await h.startDeck('headers', {
      _format_version: '3.0',
      services: [
        service('v2', [{ name: 'v2', paths: ['/api'], headers: { 'x-version': ['v2', '~*^beta-[0-9]+$'] } }]),
        service('plain', [{ name: 'plain', paths: ['/api'] }]),
      ],
    });
    const via = async (headers: Record<string, string>) => JSON.parse((await h.http.get(`${edge.url}/api/x`, { headers })).text).url as string;
    assert.equal(await via({}), '/plain/x');
    assert.equal(await via({ 'x-version': 'v2' }), '/v2/x');
    assert.equal(await via({ 'x-version': 'BETA-7' }), '/v2/x');
    assert.equal(await via({ 'x-version': 'v3' }), '/plain/x');
  });

  it('regex_priority: of two regex routes matching a path, the higher priority wins, whatever their order', async () => {
    const h = harness();
    const deck = (lowFirst: boolean) => {
      const low = service('low', [{ name: 'low', paths: ['~/items/[0-9]+$'], regex_priority: 1, strip_path: false }]);
      const high = service('high', [{ name: 'high', paths: ['~/items/\\d+'], regex_priority: 10, strip_path: false }]);
      return { _format_version: '3.0', services: lowFirst ? [low, high] : [high, low] };
    };
    for (const lowFirst of [true, false]) {
      const edge = await h.startDeck(`regex-priority-${String(lowFirst)}`, deck(lowFirst));
      assert.equal(JSON.parse((await h.http.get(`${edge.url}/items/42`)).text).url, '/high/items/42', `low listed first: ${String(lowFirst)}`);
    }
  });

  it('preserve_host: true sends the client\'s Host upstream; false sends the service host', async () => {
    const h = harness();
    const edge = await h.startDeck('preserve-host', {
      _format_version: '3.0',
      services: [
        service('keep', [{ name: 'keep', paths: ['/keep'], preserve_host: true }]),
        service('replace', [{ name: 'replace', paths: ['/replace'] }]),
      ],
    });
    const hostSeen = async (path: string) => JSON.parse((await h.http.get(`${edge.url}${path}`, { headers: { host: 'api.example.test' } })).text).host as string;
    assert.equal(await hostSeen('/keep'), 'api.example.test');
    assert.equal(await hostSeen('/replace'), `127.0.0.1:${upstreamPort}`);
  });
});
