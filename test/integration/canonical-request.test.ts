// One canonical request (docs/http-strictness.md, "One canonical request"): raw request-targets and
// Host spellings against real edges and a recording upstream. The string routing and the plugins
// (rate-limit and cache keys) see is the string the upstream receives, byte for byte; what cannot be
// normalised is refused with 400 MG_BAD_PATH and nothing is forwarded.
import assert from 'node:assert/strict';
import { useHarness, waitFor, type AgentHandle } from '../support/harness.js';
import { rawExchange, type RawReply } from '../support/raw-client.js';
import { headerValues, startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';

describe('one canonical request at the edge: raw targets, a recording upstream', function () {
  const harness = useHarness('canonical-request');
  let up: RecordingUpstream;
  let edge: AgentHandle;
  let lenient: AgentHandle;

  function startEdge(name: string, http?: Record<string, unknown>): Promise<AgentHandle> {
    const target = `http://127.0.0.1:${up.port}`;
    return harness().startEdge({ name, ...(http ? { http } : {}), kong: {
      _format_version: '3.0',
      services: [
        { name: 'rec', url: target, routes: [{ name: 'rec', paths: ['/rec'], strip_path: false }] },
        { name: 'api', url: target, routes: [{ name: 'api', hosts: ['api.example'], paths: ['/api'], strip_path: false, preserve_host: true }] },
        { name: 'cached', url: target, routes: [{ name: 'cached', paths: ['/cached'], strip_path: false, plugins: [{ name: 'proxy-cache', config: { strategy: 'memory' } }] }] },
        { name: 'limited', url: target, routes: [{ name: 'limited', paths: ['/limited'], strip_path: false, plugins: [{ name: 'rate-limiting', config: { minute: 2, limit_by: 'path', path: '/limited/x', policy: 'local' } }] }] },
      ],
    } });
  }

  before(async function () {
    up = await startRecordingUpstream();
    [edge, lenient] = await Promise.all([
      startEdge('edge-canonical'),
      startEdge('edge-lenient', { merge_slashes: false, escaped_slashes: 'keep', path_parameters: 'reject' }),
    ]);
  });
  after(async () => { await up?.close(); });

  /** the request lines the upstream got (from its raw bytes) while `fn` ran */
  async function received(fn: () => Promise<RawReply>): Promise<{ reply: RawReply; lines: string[]; got: RecordingUpstream['requests'] }> {
    const [before, bytes] = [up.requests.length, up.raw().length];
    const reply = await fn();
    await new Promise((r) => setTimeout(r, 50));
    const lines = up.raw().slice(bytes).split('\r\n').filter((l) => /^[A-Z]+ \S+ HTTP\/1\.[01]$/.test(l));
    return { reply, lines, got: up.requests.slice(before) };
  }
  const get = (port: number, target: string, host = 'a.example') => rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);

  describe('paths: forwarded as routed', () => {
    const FORWARDED: readonly [string, string][] = [
      ['/rec//x///y', '/rec/x/y'],
      ['//rec/x', '/rec/x'],
      ['/rec/a/../x', '/rec/x'],
      ['/rec/%2e%2e/rec/x', '/rec/x'],
      ['/rec/a/%2E/x', '/rec/a/x'],
      ['/rec/%7euser', '/rec/~user'],
      ['/rec/%c3%a9', '/rec/%C3%A9'],
      ['/rec/a;v=1/x;jsessionid=2', '/rec/a;v=1/x;jsessionid=2'],
      ['/rec//x?q=%2F..//', '/rec/x?q=%2F..//'],
    ];
    for (const [sent, want] of FORWARDED) {
      it(`${sent} → the upstream's request line carries ${want}`, async () => {
        const { reply, lines } = await received(() => get(edge.port, sent));
        assert.equal(reply.status, 200, reply.text);
        assert.deepEqual(lines, [`GET ${want} HTTP/1.1`]);
      });
    }

    it('a path outside every route after normalisation is not routed by its raw prefix', async () => {
      const { reply, got } = await received(() => get(edge.port, '/rec/../admin'));
      assert.equal(reply.status, 404, reply.text);
      assert.equal(JSON.parse(reply.body).code, 'MG_NO_ROUTE');
      assert.deepEqual(got, []);
    });
  });

  describe('paths refused with 400 MG_BAD_PATH, nothing forwarded', () => {
    const REFUSED: readonly [string, string][] = [
      ['a dot segment with parameters (Tomcat reads "..;" as "..")', '/rec/..;/admin'],
      ['an encoded dot segment with parameters', '/rec/%2e%2e;x/admin'],
      ['a fragment in the request-target', '/rec/x#frag'],
      ['a fragment after the query', '/rec/x?a=1#frag'],
      ['an overlong UTF-8 "."', '/rec/%C0%AE%C0%AE/admin'],
      ['an overlong UTF-8 "/"', '/rec/%C0%AFadmin'],
      ['a lone continuation byte', '/rec/%80'],
      ['a cut UTF-8 sequence', '/rec/%E2%82'],
      ['an encoded "/"', '/rec/a%2F..%2Fadmin'],
      ['an encoded "\\"', '/rec/a%5Cb'],
      ['a bad escape', '/rec/%zz'],
      ['a NUL escape (C-string back ends end the path there)', '/rec/admin%00.png'],
    ];
    for (const [what, target] of REFUSED) {
      it(`refuses ${what}`, async () => {
        const { reply, got } = await received(() => get(edge.port, target));
        assert.equal(reply.status, 400, reply.text);
        assert.match(reply.headers['content-type'] ?? '', /application\/json/);
        assert.equal(JSON.parse(reply.body).code, 'MG_BAD_PATH', reply.text);
        assert.deepEqual(got, []);
      });
    }

    it('logs the refusal with its code', async () => {
      await get(edge.port, '/rec/logged/..;/x');
      await waitFor(() => edge.accessLog().some((l) => l.status === 400 && l.error === 'MG_BAD_PATH'),
        { timeoutMs: 3000, intervalMs: 20, what: 'the MG_BAD_PATH access-log line' });
    });
  });

  describe('edge.http path policy', () => {
    it('keeps "//" with merge_slashes: false, keeps %2F with escaped_slashes: keep, refuses ";" with path_parameters: reject', async () => {
      const kept = await received(() => get(lenient.port, '/rec//a%2fb'));
      assert.equal(kept.reply.status, 200, kept.reply.text);
      assert.deepEqual(kept.lines, ['GET /rec//a%2Fb HTTP/1.1']);
      const semi = await received(() => get(lenient.port, '/rec/a;v=1'));
      assert.equal(semi.reply.status, 400, semi.reply.text);
      assert.equal(JSON.parse(semi.reply.body).code, 'MG_BAD_PATH');
      assert.deepEqual(semi.got, []);
    });
  });

  describe('Host: case, trailing dot, default port', () => {
    for (const host of ['API.Example', 'api.example.', 'api.example:80', 'Api.Example.:0080']) {
      it(`${host} routes as api.example and is forwarded as it (preserve_host)`, async () => {
        const { reply, got } = await received(() => get(edge.port, '/api/h', host));
        assert.equal(reply.status, 200, reply.text);
        assert.deepEqual(headerValues(got[0]!, 'host'), ['api.example']);
        assert.deepEqual(headerValues(got[0]!, 'x-forwarded-host'), ['api.example']);
      });
    }

    it('keeps a port that is not the scheme\'s default', async () => {
      const { reply } = await received(() => get(edge.port, '/api/h', 'api.example:8080'));
      assert.equal(reply.status, 200, reply.text);
      assert.equal(up.requests.at(-1) && headerValues(up.requests.at(-1)!, 'host')[0], 'api.example:8080');
    });
  });

  describe('policy keys come from the canonical request', () => {
    it('path and host variants share one cache entry', async () => {
      const first = await get(edge.port, '/cached/x', 'c.example');
      assert.equal(first.headers['x-cache-status'], 'Miss', first.text);
      for (const [target, host] of [['/cached//x', 'C.Example'], ['/cached/./%78', 'c.example.:80']] as const) {
        const again = await get(edge.port, target, host);
        assert.equal(again.headers['x-cache-status'], 'Hit', `${target} ${host}: ${again.text}`);
      }
    });

    it('path variants share one rate-limit counter (limit_by: path)', async () => {
      const statuses: number[] = [];
      for (const target of ['/limited/x', '/limited//x', '//limited/./x']) statuses.push((await get(edge.port, target)).status);
      assert.deepEqual(statuses, [200, 200, 429]);
    });
  });
});
