// Mirrored listening handles, with real sockets and the real helper process: one loop turn
// accepts one connection per handle, so K handles accept a burst K at a time.
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { mirrorListener } from '../../../agent/listen-mirrors.js';

/** Connects `n` clients while the loop is busy, then counts what the next turn accepts. */
async function acceptedInOneTurn(server: net.Server, accepted: () => number, n: number): Promise<number> {
  const port = (server.address() as AddressInfo).port;
  const clients: net.Socket[] = [];
  // from a check-phase callback, one setImmediate later is the next turn's check phase: exactly
  // one poll phase (the accepts) lies between them
  const inTurn = await new Promise<number>((resolve) => setImmediate(() => {
    for (let i = 0; i < n; i++) clients.push(net.connect(port, '127.0.0.1').on('error', () => {}));
    // the kernel completes the handshakes on its own; keep this loop busy meanwhile
    const until = Date.now() + 100;
    while (Date.now() < until) { /* busy */ }
    const before = accepted();
    setImmediate(() => resolve(accepted() - before));
  }));
  for (const c of clients) c.destroy();
  return inTurn;
}

describe('listen-mirrors', function () {
  this.timeout(20_000);
  const servers: net.Server[] = [];
  afterEach(() => { for (const s of servers.splice(0)) s.close(); });

  async function listening(onConn: (s: net.Socket) => void): Promise<net.Server> {
    const s = net.createServer(onConn);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return s;
  }

  it('a single handle accepts one connection per loop turn (why mirrors exist)', async () => {
    let n = 0;
    const server = await listening(() => { n++; });
    assert.equal(await acceptedInOneTurn(server, () => n, 8), 1);
  });

  it('with 3 mirrors, 4 handles accept 4 connections in one turn, all served by the one handler', async () => {
    let n = 0;
    const onConn = (s: net.Socket) => { n++; s.on('error', () => {}); s.end('hi'); };
    const server = await listening(onConn);
    const mirrors = await mirrorListener(server, 3, onConn);
    servers.push(...mirrors);
    assert.equal(mirrors.length, 3);
    assert.equal(await acceptedInOneTurn(server, () => n, 8), 4);
    // every handle hands its connections to the same handler: a client gets the answer
    const port = (server.address() as AddressInfo).port;
    const text = await new Promise<string>((resolve, reject) => {
      let got = '';
      net.connect(port, '127.0.0.1').on('data', (d) => { got += String(d); }).on('end', () => resolve(got)).on('error', reject);
    });
    assert.equal(text, 'hi');
  });

  it('closing the server and its mirrors stops accepting: a new client is refused', async () => {
    const server = await listening((s) => s.destroy());
    const mirrors = await mirrorListener(server, 2, (s) => s.destroy());
    const port = (server.address() as AddressInfo).port;
    server.close();
    for (const m of mirrors) m.close();
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      net.connect(port, '127.0.0.1').on('error', resolve).on('connect', () => resolve(Object.assign(new Error('connected'), { code: 'CONNECTED' })));
    });
    assert.equal(err.code, 'ECONNREFUSED');
  });

  it('zero mirrors asked: no helper, nothing returned', async () => {
    const server = await listening(() => {});
    assert.deepEqual(await mirrorListener(server, 0, () => {}), []);
  });
});
