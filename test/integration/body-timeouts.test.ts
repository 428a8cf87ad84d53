// The listener's body_timeout and request_timeout (docs/http-strictness.md, "Resource bounds") where
// resource-bounds.test.ts does not reach: on HTTP/2 streams (a real node:http2 client over h2c that
// writes slowly or stops), and on bodies a plugin reads whole (request-size-limiting on a body without
// a declared length, request-transformer body edits, key-auth key_in_body), over raw HTTP/1.1 sockets
// and HTTP/2. Each stalled or trickling body gets 408 in JSON; over HTTP/1.1 the connection closes,
// over HTTP/2 only the stream ends (RST_STREAM NO_ERROR) and the session's other streams go on.
// Nothing complete reaches the recording upstream.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { useHarness, waitFor, type AgentHandle } from '../support/harness.js';
import { rawExchange } from '../support/raw-client.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';

interface H2Answer { readonly status: number; readonly body: string; readonly rstCode: number }

/** One request on the session; `write` feeds the body (the stream is left open unless it ends it). */
function h2Request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, write: (s: http2.ClientHttp2Stream) => void): Promise<H2Answer> {
  return new Promise((resolve) => {
    const stream = session.request(headers, { endStream: false });
    let status = 0;
    let body = '';
    stream.on('response', (h) => { status = Number(h[':status']); });
    stream.on('data', (c: Buffer) => { body += c.toString(); });
    stream.on('error', () => { /* the reset is reported by rstCode */ });
    stream.on('close', () => resolve({ status, body, rstCode: stream.rstCode ?? -1 }));
    write(stream);
  });
}

function get(session: http2.ClientHttp2Session, path: string): Promise<H2Answer> {
  return h2Request(session, { ':method': 'GET', ':path': path }, (s) => s.end());
}

function code(body: string): string | undefined {
  try { return (JSON.parse(body) as { code?: string }).code; } catch { return undefined; }
}

describe('body timeouts on HTTP/2 streams and on bodies plugins read', function () {
  const harness = useHarness('body-timeouts');
  let up: RecordingUpstream;
  let edge: AgentHandle;
  const sessions: http2.ClientHttp2Session[] = [];
  const sockets: net.Socket[] = [];

  before(async function () {
    up = await startRecordingUpstream();
    const h = harness();
    const [port, adminPort] = [await h.port(), await h.port()];
    const service = (name: string, plugins: Record<string, unknown>[]) => ({
      name, url: `http://127.0.0.1:${up.port}`, routes: [{ name, paths: [`/${name}`], plugins }],
    });
    const file = h.writeYaml('edge-body-timeouts.yaml', {
      consul: { address: h.consul.httpAddress },
      agent: { node: 'edge-body-timeouts', admin: `127.0.0.1:${adminPort}`, log_level: 'info' },
      edge: {
        listen: `127.0.0.1:${port}`, limits: { body_timeout: '1s', request_timeout: '3s' }, http2: { h2c: true },
        kong: {
          _format_version: '3.0',
          services: [
            service('rec', []),
            service('sized', [{ name: 'request-size-limiting', config: { allowed_payload_size: 1, size_unit: 'kilobytes' } }]),
            service('xform', [{ name: 'request-transformer', config: { add: { body: ['added:yes'] } } }]),
            service('keyed', [{ name: 'key-auth', config: { key_in_body: true } }]),
          ],
          consumers: [{ username: 'alice', keyauth_credentials: [{ key: 'alice-key' }] }],
        },
      },
    });
    edge = await h.startAgent('edge-body-timeouts', file, { adminPort, port });
  });
  afterEach(() => {
    for (const s of sessions.splice(0)) s.destroy();
    for (const s of sockets.splice(0)) s.destroy();
  });
  after(async () => { await up?.close(); });

  function session(): http2.ClientHttp2Session {
    const s = http2.connect(`http://127.0.0.1:${edge.port}`);
    s.on('error', () => { /* asserted through the streams */ });
    sessions.push(s);
    return s;
  }

  function received(path: string): boolean {
    return up.requests.some((r) => r.url.startsWith(path));
  }

  describe('HTTP/2 streams', () => {
    it('a streamed body that stops: 408 MG_BODY_TIMEOUT on that stream, RST_STREAM NO_ERROR, the session and its other streams live on', async () => {
      const s = session();
      let goaway = false;
      s.on('goaway', () => { goaway = true; });
      const stalled = h2Request(s, { ':method': 'POST', ':path': '/rec/h2-stalled', 'content-length': '10' }, (st) => st.write('ab'));
      const meanwhile = await get(s, '/rec/h2-meanwhile');
      assert.equal(meanwhile.status, 200, 'another stream is answered while one stalls');
      const r = await stalled;
      assert.equal(r.status, 408, r.body);
      assert.equal(code(r.body), 'MG_BODY_TIMEOUT', r.body);
      assert.equal(r.rstCode, http2.constants.NGHTTP2_NO_ERROR, 'the stream ends without an error code');
      const after = await get(s, '/rec/h2-after');
      assert.equal(after.status, 200, 'the session serves new streams after the 408');
      assert.ok(!goaway && !s.destroyed, 'no GOAWAY: the connection lives on');
      assert.ok(!received('/h2-stalled'), 'the upstream never got the stalled request');
      await waitFor(() => edge.accessLog().some((l) => l.status === 408 && l.error === 'MG_BODY_TIMEOUT' && l.path === '/rec/h2-stalled'),
        { timeoutMs: 3000, intervalMs: 20, what: 'the MG_BODY_TIMEOUT access-log line' });
    });

    it('a body that trickles (a byte every 200 ms) gets 408 MG_REQUEST_TIMEOUT on its stream', async () => {
      const s = session();
      let drip: NodeJS.Timeout | undefined;
      const r = await h2Request(s, { ':method': 'POST', ':path': '/rec/h2-trickle', 'content-length': '1000' }, (st) => {
        drip = setInterval(() => { if (!st.closed && !st.destroyed) st.write('x'); }, 200);
      });
      clearInterval(drip);
      assert.equal(r.status, 408, r.body);
      assert.equal(code(r.body), 'MG_REQUEST_TIMEOUT', r.body);
      assert.equal((await get(s, '/rec/h2-after-trickle')).status, 200);
      assert.ok(!received('/h2-trickle'));
    });

    it('a body a plugin reads (request-transformer) that stops gets 408 MG_BODY_TIMEOUT on its stream', async () => {
      const s = session();
      const r = await h2Request(s, { ':method': 'POST', ':path': '/xform/h2-stalled', 'content-type': 'application/json', 'content-length': '20' },
        (st) => st.write('{"a":'));
      assert.equal(r.status, 408, r.body);
      assert.equal(code(r.body), 'MG_BODY_TIMEOUT', r.body);
      assert.equal((await get(s, '/rec/h2-after-plugin')).status, 200);
      assert.ok(!received('/h2-stalled'));
    });

    it('a body without content-length is forwarded whole, and measured by request-size-limiting', async () => {
      const s = session();
      const ok = await h2Request(s, { ':method': 'POST', ':path': '/rec/h2-no-length' }, (st) => { st.write('hel'); st.end('lo'); });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(up.requests.find((r) => r.url === '/h2-no-length')?.body, 'hello', 'the upstream got the whole body');
      const big = await h2Request(s, { ':method': 'POST', ':path': '/sized/h2-big' }, (st) => st.end(Buffer.alloc(2048, 97)));
      assert.equal(big.status, 413, big.body);
      assert.ok(!received('/h2-big'));
    });
  });

  describe('bodies plugins read, over HTTP/1.1', () => {
    function assert408(r: { status: number; headers: Record<string, string>; body: string; closed: boolean; text: string }, want: string): void {
      assert.equal(r.status, 408, r.text);
      assert.match(r.headers['content-type'] ?? '', /application\/json/, r.text);
      assert.equal(code(r.body), want, r.text);
      assert.equal(r.headers.connection, 'close', r.text);
      assert.ok(r.closed, 'the connection is closed');
    }

    it('request-size-limiting reading a chunked body that stops: 408 MG_BODY_TIMEOUT, closed, nothing forwarded', async () => {
      const r = await rawExchange(edge.port, 'POST /sized/stalled HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', 6000);
      assert408(r, 'MG_BODY_TIMEOUT');
      assert.ok(!received('/stalled'));
    });

    it('request-size-limiting reading a chunked body that trickles: 408 MG_REQUEST_TIMEOUT', async () => {
      const c = net.connect(edge.port, '127.0.0.1');
      sockets.push(c);
      let text = '';
      let closed = false;
      c.on('data', (d: Buffer) => { text += d.toString('latin1'); });
      c.on('close', () => { closed = true; });
      c.on('error', () => {});
      c.write('POST /sized/trickle HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n');
      const drip = setInterval(() => { if (!closed) c.write('1\r\nx\r\n'); }, 200);
      try {
        await waitFor(() => closed, { timeoutMs: 8000, intervalMs: 50, what: 'the trickling connection to be closed' });
      } finally {
        clearInterval(drip);
      }
      assert.match(text, /^HTTP\/1\.1 408 /, text);
      assert.match(text, /"code":"MG_REQUEST_TIMEOUT"/, text);
      assert.ok(!received('/trickle'));
    });

    it('request-transformer reading a JSON body that stops: 408 MG_BODY_TIMEOUT, closed, nothing forwarded', async () => {
      const r = await rawExchange(edge.port, 'POST /xform/stalled HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"a":', 6000);
      assert408(r, 'MG_BODY_TIMEOUT');
      assert.ok(!received('/stalled'));
    });

    it('key-auth key_in_body reading a body that stops: 408 MG_BODY_TIMEOUT, not 401', async () => {
      const r = await rawExchange(edge.port, 'POST /keyed/stalled HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\n\r\napikey=al', 6000);
      assert408(r, 'MG_BODY_TIMEOUT');
      assert.ok(!received('/stalled'));
    });

    it('bodies that arrive in time are read by the plugins and forwarded', async () => {
      const form = 'apikey=alice-key&x=1';
      const keyed = await rawExchange(edge.port, `POST /keyed/fine HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}`);
      assert.equal(keyed.status, 200, keyed.text);
      const xform = await rawExchange(edge.port, 'POST /xform/fine HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{"a":1}');
      assert.equal(xform.status, 200, xform.text);
      assert.deepEqual(JSON.parse(up.requests.find((r) => r.url === '/fine' && r.body.includes('added'))?.body ?? '{}'), { a: 1, added: 'yes' });
    });
  });
});
