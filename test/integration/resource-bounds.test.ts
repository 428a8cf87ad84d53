// Resource bounds of the edge listener (docs/http-strictness.md, "Resource bounds"), attacked with
// raw sockets against real edges and a recording upstream: a request body that stops or trickles
// gets 408 in JSON and the connection closes, nothing complete is forwarded; at max_connections an
// idle keep-alive connection makes room, and with none the newcomer is refused clearly.
import assert from 'node:assert/strict';
import net from 'node:net';
import { useHarness, waitFor, type AgentHandle } from '../support/harness.js';
import { rawExchange, type RawReply } from '../support/raw-client.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';

/** A raw connection kept open: what it received so far, and whether the server closed it. */
class OpenConnection {
  readonly socket: net.Socket;
  text = '';
  closed = false;
  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (c: Buffer) => { this.text += c.toString('latin1'); });
    this.socket.on('close', () => { this.closed = true; });
    this.socket.on('error', () => {});
  }
  ready(): Promise<void> {
    return new Promise((r) => (this.socket.connecting ? this.socket.once('connect', () => r()) : r()));
  }
  send(bytes: string): void { this.socket.write(bytes); }
  destroy(): void { this.socket.destroy(); }
}

function parseHead(text: string): { status: number; headers: Record<string, string>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, end < 0 ? text.length : end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) { const i = l.indexOf(':'); if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim(); }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: end < 0 ? '' : text.slice(end + 4) };
}

describe('resource bounds at the edge: raw sockets, a recording upstream', function () {
  const harness = useHarness('resource-bounds');
  let up: RecordingUpstream;
  let timed: AgentHandle;
  let crowded: AgentHandle;
  const opened: OpenConnection[] = [];

  async function startEdge(name: string, limits: Record<string, unknown>): Promise<AgentHandle> {
    const h = harness();
    const [port, adminPort] = [await h.port(), await h.port()];
    const file = h.writeYaml(`${name}.yaml`, {
      consul: { address: h.consul.httpAddress },
      agent: { node: name, admin: `127.0.0.1:${adminPort}`, log_level: 'info' },
      edge: {
        listen: `127.0.0.1:${port}`, limits,
        kong: { _format_version: '3.0', services: [{ name: 'rec', url: `http://127.0.0.1:${up.port}`, routes: [{ name: 'rec', paths: ['/rec'] }] }] },
      },
    });
    return h.startAgent(name, file, { adminPort, port });
  }

  before(async function () {
    up = await startRecordingUpstream();
    [timed, crowded] = await Promise.all([
      startEdge('edge-body-timeouts', { body_timeout: '1s', request_timeout: '3s' }),
      startEdge('edge-crowded', { max_connections: 2 }),
    ]);
  });
  afterEach(async () => {
    for (const c of opened.splice(0)) c.destroy();
    await new Promise((r) => setTimeout(r, 300)); // the edge sees the closes before the next test counts connections
  });
  after(async () => { await up?.close(); });

  function open(port: number): OpenConnection {
    const c = new OpenConnection(port);
    opened.push(c);
    return c;
  }

  function assertTimedOut(r: { status: number; headers: Record<string, string>; body: string }, code: string, text: string): void {
    assert.equal(r.status, 408, text);
    assert.match(r.headers['content-type'] ?? '', /application\/json/);
    assert.equal(JSON.parse(r.body).code, code, text);
    assert.equal(r.headers.connection, 'close', text);
  }

  describe('request bodies', () => {
    it('body_timeout: a body that stops arriving gets 408 MG_BODY_TIMEOUT, the connection closes, nothing complete is forwarded', async () => {
      const before = up.requests.length;
      const r: RawReply = await rawExchange(timed.port, 'POST /rec/stalled HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab', 10_000);
      assertTimedOut(r, 'MG_BODY_TIMEOUT', r.text);
      assert.ok(r.closed, 'the connection is closed');
      assert.equal(up.requests.length, before, 'the upstream never got a complete request');
      await waitFor(() => timed.accessLog().some((l) => l.status === 408 && l.error === 'MG_BODY_TIMEOUT' && l.path === '/rec/stalled'),
        { timeoutMs: 3000, intervalMs: 20, what: 'the MG_BODY_TIMEOUT access-log line' });
    });

    it('body_timeout applies to a chunked body too', async () => {
      const r = await rawExchange(timed.port, 'POST /rec/chunked HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', 10_000);
      assertTimedOut(r, 'MG_BODY_TIMEOUT', r.text);
      assert.ok(r.closed);
    });

    it('request_timeout: a body that trickles (a byte every 200 ms) gets 408 MG_REQUEST_TIMEOUT and the connection closes', async () => {
      const before = up.requests.length;
      const c = open(timed.port);
      await c.ready();
      c.send('POST /rec/trickle HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n');
      const drip = setInterval(() => { if (!c.closed) c.send('x'); }, 200);
      try {
        await waitFor(() => c.closed, { timeoutMs: 10_000, intervalMs: 50, what: 'the trickling connection to be closed' });
      } finally {
        clearInterval(drip);
      }
      assertTimedOut(parseHead(c.text), 'MG_REQUEST_TIMEOUT', c.text);
      assert.equal(up.requests.length, before, 'the upstream never got a complete request');
    });

    it('a body that arrives in time is forwarded whole', async () => {
      const r = await rawExchange(timed.port, 'POST /rec/fine HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello');
      assert.equal(r.status, 200, r.text);
      assert.equal(up.requests.at(-1)?.body, 'hello');
    });
  });

  describe('max_connections', () => {
    /** a connection with a request in flight: its body is promised and not sent */
    async function busy(): Promise<OpenConnection> {
      const c = open(crowded.port);
      await c.ready();
      c.send('POST /rec/busy HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nab');
      return c;
    }
    /** a keep-alive connection that has been answered once and now waits */
    async function idle(): Promise<OpenConnection> {
      const c = open(crowded.port);
      await c.ready();
      c.send('GET /rec/idle HTTP/1.1\r\nHost: a\r\n\r\n');
      await waitFor(() => c.text.includes('\r\n\r\nok'), { timeoutMs: 3000, intervalMs: 10, what: 'the first answer' });
      return c;
    }

    it('at the limit, an idle keep-alive connection is closed to make room; a busy one is not', async () => {
      const b = await busy();
      const i = await idle();
      const r = await rawExchange(crowded.port, 'GET /rec/new HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal(r.status, 200, r.text);
      await waitFor(() => i.closed, { timeoutMs: 3000, intervalMs: 10, what: 'the idle connection to be closed' });
      assert.equal(b.closed, false, 'the connection with a request in flight stays');
    });

    it('with every connection busy, a newcomer gets 503 MG_TOO_MANY_CONNECTIONS in JSON and is closed; nothing is forwarded', async () => {
      await busy();
      await busy();
      const before = up.requests.length;
      const r = await rawExchange(crowded.port, 'GET /rec/refused HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal(r.status, 503, r.text);
      assert.equal(JSON.parse(r.body).code, 'MG_TOO_MANY_CONNECTIONS');
      assert.equal(r.headers.connection, 'close');
      assert.ok(r.closed);
      assert.equal(up.requests.length, before);
      assert.ok(!up.raw().includes('/rec/refused'), 'the refused request never reached the upstream');
    });
  });
});
