// An upstream that answers with broken framing (docs/http-strictness.md, "Upstream misbehaviour"):
// two Content-Lengths, Transfer-Encoding with Content-Length, a bare-LF head, bytes that are not
// HTTP, and a body cut short after the head. The edge answers 502 JSON, forwards none of it, does
// not reuse the connection, and a cut-short answer ends the client's connection and is never cached.
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { useHarness, type AgentHandle } from '../support/harness.js';
import { rawExchange } from '../support/raw-client.js';

const ANSWERS: Readonly<Record<string, string>> = {
  '/two-cl': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!',
  '/te-cl': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n',
  '/bare-lf': 'HTTP/1.1 200 OK\nContent-Length: 2\n\nok',
  '/not-http': 'SMTP ready\r\n\r\n',
  '/short': 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nCache-Control: max-age=300\r\n\r\nok',
  '/fine': 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
};

describe('upstream framing faults at the edge', function () {
  const harness = useHarness('upstream-framing');
  let upstream: net.Server;
  let port = 0;
  /** connections the upstream accepted, and requests it read */
  const seen = { connections: 0, requests: [] as string[] };
  let edge: AgentHandle;

  before(async function () {
    upstream = net.createServer((s) => {
      seen.connections++;
      let buf = '';
      s.on('data', (c: Buffer) => {
        buf += c.toString('latin1');
        let end: number;
        while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
          const head = buf.slice(0, end);
          buf = buf.slice(end + 4);
          const path = head.split(' ')[1] ?? '/';
          seen.requests.push(path);
          const answer = ANSWERS[path.split('?')[0]!] ?? ANSWERS['/fine']!;
          s.write(answer);
          if (path.startsWith('/short')) s.destroy();
        }
      });
      s.on('error', () => {});
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    port = (upstream.address() as AddressInfo).port;
    const h = harness();
    const [edgePort, adminPort] = [await h.port(), await h.port()];
    const file = h.writeYaml('edge.yaml', {
      consul: { address: h.consul.httpAddress },
      agent: { node: 'edge-framing', admin: `127.0.0.1:${adminPort}`, log_level: 'info' },
      edge: {
        listen: `127.0.0.1:${edgePort}`,
        kong: {
          _format_version: '3.0',
          services: [{
            name: 'bad', url: `http://127.0.0.1:${port}`, retries: 2,
            routes: [{ name: 'bad', paths: ['/'], strip_path: false, plugins: [{ name: 'proxy-cache', config: { strategy: 'memory', content_type: ['text/plain'] } }] }],
          }],
        },
      },
    });
    edge = await h.startAgent('edge-framing', file, { adminPort, port: edgePort });
  });
  after(async () => { await new Promise((r) => upstream?.close(r)); });

  for (const path of ['/two-cl', '/te-cl', '/bare-lf', '/not-http']) {
    it(`${path}: 502 MG_UPSTREAM_RESET in JSON (not 503), nothing of it forwarded, the connection not reused`, async () => {
      const r = await rawExchange(edge.port, `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
      assert.equal(r.status, 502, r.text);
      assert.match(r.headers['content-type'] ?? '', /application\/json/);
      assert.equal(JSON.parse(r.body).code, 'MG_UPSTREAM_RESET');
      assert.doesNotMatch(r.body, /ok/);
      // the failed answer's connection is dropped: the next request opens a new one
      const afterFault = seen.connections;
      const ok = await rawExchange(edge.port, 'GET /fine HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal(ok.status, 200, ok.text);
      assert.equal(seen.connections, afterFault + 1, 'a connection that carried bad framing is never reused');
    });
  }

  it('a body cut short after the head: the client connection ends short, and it is never cached', async () => {
    for (let i = 0; i < 2; i++) {
      const before = seen.requests.filter((p) => p === '/short').length;
      const r = await rawExchange(edge.port, 'GET /short HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal(r.status, 200, 'the head was already relayed');
      assert.ok(r.closed, 'the connection is closed');
      assert.ok(Buffer.byteLength(r.body, 'latin1') < 10, `a truncated body, not a padded one: ${JSON.stringify(r.body)}`);
      assert.equal(seen.requests.filter((p) => p === '/short').length, before + 1, `request ${i + 1} reached the upstream (not served from cache)`);
    }
  });
});
