// Retries never amplify overload (docs/http-strictness.md, "Upstream misbehaviour"): an upstream's
// 503 with Retry-After is the client's answer, never tried on another target; an answer whose head
// has reached the client is never retried, whatever `retries` allows. Two raw-socket targets behind
// one Kong upstream count every request they read.
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { useHarness, type AgentHandle } from '../support/harness.js';
import { rawExchange } from '../support/raw-client.js';

const ANSWERS: Readonly<Record<string, string>> = {
  '/overloaded': 'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nbusy',
  '/committed': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\npart',
};

describe('retries never amplify overload', function () {
  const harness = useHarness('retry-bounds');
  const targets: net.Server[] = [];
  /** paths read by any target, in order */
  const seen: string[] = [];
  let edge: AgentHandle;

  function startTarget(): Promise<number> {
    const server = net.createServer((s) => {
      let buf = '';
      s.on('data', (c: Buffer) => {
        buf += c.toString('latin1');
        let end: number;
        while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
          const path = buf.slice(0, end).split(' ')[1] ?? '/';
          buf = buf.slice(end + 4);
          seen.push(path);
          s.write(ANSWERS[path] ?? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
          if (path === '/committed') setTimeout(() => s.destroy(), 20); // the head and part of the body went out
        }
      });
      s.on('error', () => {});
    });
    targets.push(server);
    return new Promise((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));
  }

  before(async function () {
    const [a, b] = [await startTarget(), await startTarget()];
    const h = harness();
    const [port, adminPort] = [await h.port(), await h.port()];
    const file = h.writeYaml('edge.yaml', {
      consul: { address: h.consul.httpAddress },
      agent: { node: 'edge-retry-bounds', admin: `127.0.0.1:${adminPort}`, log_level: 'info' },
      edge: {
        listen: `127.0.0.1:${port}`,
        kong: {
          _format_version: '3.0',
          upstreams: [{ name: 'pair', targets: [{ target: `127.0.0.1:${a}` }, { target: `127.0.0.1:${b}` }] }],
          services: [{ name: 'pair', host: 'pair', port: 80, protocol: 'http', retries: 5, routes: [{ name: 'pair', paths: ['/'], strip_path: false }] }],
        },
      },
    });
    edge = await h.startAgent('edge-retry-bounds', file, { adminPort, port });
  });
  after(async () => { for (const t of targets) await new Promise((r) => t.close(r)); });

  it('an upstream 503 with Retry-After is relayed as it is, tried on one target only', async () => {
    for (let i = 0; i < 4; i++) {
      const before = seen.length;
      const r = await rawExchange(edge.port, 'GET /overloaded HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal(r.status, 503, r.text);
      assert.equal(r.headers['retry-after'], '120');
      assert.equal(r.body, 'busy');
      await new Promise((res) => setTimeout(res, 30));
      assert.deepEqual(seen.slice(before), ['/overloaded'], 'one attempt, no retry on the other target');
    }
  });

  it('an answer whose head reached the client is never retried (retries: 5, an idempotent GET)', async () => {
    const before = seen.length;
    const r = await rawExchange(edge.port, 'GET /committed HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal(r.status, 200, r.text);
    assert.ok(r.closed, 'the client connection ends short');
    assert.notEqual(r.body.length, 10, 'never padded or completed from another target');
    await new Promise((res) => setTimeout(res, 100));
    assert.deepEqual(seen.slice(before), ['/committed'], 'no second attempt');
  });
});
