// ConnectionPool against a real HTTP server on loopback: connection limit, FIFO queue, reuse,
// connect failures, refused options, close.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { ConnectionPool } from '../../../../agent/pool/connection-pool.js';

interface Answer { status: number; body: string }

/** a client says 'drain' just after the request completes: let that happen */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function send(pool: ConnectionPool, path: string, headers: string[] = []): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    const handler: Dispatcher.DispatchHandler = {
      onConnect() {},
      onHeaders(s) { status = s; return true; },
      onData(c) { chunks.push(c); return true; },
      onComplete() { resolve({ status, body: Buffer.concat(chunks).toString() }); },
      onError(err) { reject(err); },
    };
    pool.dispatch({ origin: '', method: 'GET', path, headers }, handler);
  });
}

describe('ConnectionPool', () => {
  let server: http.Server;
  let origin: string;
  const sockets = new Set<Socket>();
  let opened = 0;
  let concurrent = 0;
  let most = 0;
  const order: string[] = [];
  const servedBy = new Map<string, number>();

  beforeEach(async () => {
    opened = 0; concurrent = 0; most = 0; order.length = 0;
    server = http.createServer((req, res) => {
      order.push(req.url!);
      servedBy.set(req.url!, req.socket.remotePort!);
      concurrent++; most = Math.max(most, concurrent);
      const delay = Number(new URL(req.url!, 'http://x').searchParams.get('ms') ?? 0);
      setTimeout(() => { concurrent--; res.end(req.url); }, delay);
    });
    server.on('connection', (s: Socket) => { opened++; sockets.add(s); s.on('close', () => sockets.delete(s)); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('keeps to its connection limit and serves waiting requests first come, first served', async () => {
    const pool = new ConnectionPool(origin, { connections: 2 });
    const paths = ['/a?ms=60', '/b?ms=60', '/c?ms=10', '/d?ms=10', '/e?ms=10'];
    const answers = await Promise.all(paths.map((p) => send(pool, p)));
    assert.deepEqual(answers.map((a) => a.body), paths);
    assert.equal(most, 2);
    assert.equal(opened, 2);
    assert.deepEqual(order.slice(2), ['/c?ms=10', '/d?ms=10', '/e?ms=10']);
    await settle();
    assert.deepEqual(pool.stats, { connections: 2, idle: 2, queued: 0 });
    await pool.close();
  });

  it('reuses the most recently freed connection', async () => {
    const pool = new ConnectionPool(origin, { connections: 8 });
    await Promise.all(['/a?ms=5', '/b?ms=25', '/c?ms=50'].map((p) => send(pool, p)));
    await settle();
    for (let i = 0; i < 4; i++) {
      assert.equal((await send(pool, `/${i}`)).status, 200);
      await settle();
    }
    assert.equal(opened, 3);
    for (let i = 0; i < 4; i++) assert.equal(servedBy.get(`/${i}`), servedBy.get('/c?ms=50'), `request ${i}`);
    await pool.close();
  });

  it('reports a refused connection to the request and opens a fresh one for the next', async () => {
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const pool = new ConnectionPool(origin, { connections: 1 });
    await assert.rejects(send(pool, '/x'), (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    assert.equal((await send(pool, '/y')).body, '/y');
    assert.equal(pool.stats.connections, 1);
    await pool.close();
  });

  it('frees the connection of a request refused at once (invalid options)', async () => {
    const pool = new ConnectionPool(origin, { connections: 1 });
    await assert.rejects(send(pool, '/bad', ['x-bad', 'a\r\nb']), /invalid x-bad header/);
    assert.equal((await send(pool, '/good')).body, '/good');
    await pool.close();
  });

  it('close() lets queued and in-flight requests finish, then refuses new ones', async () => {
    const pool = new ConnectionPool(origin, { connections: 1 });
    const pending = [send(pool, '/1?ms=40'), send(pool, '/2?ms=10')];
    const closed = pool.close();
    await assert.rejects(send(pool, '/3'), (err: NodeJS.ErrnoException) => err.code === 'UND_ERR_CLOSED');
    assert.deepEqual((await Promise.all(pending)).map((a) => a.body), ['/1?ms=40', '/2?ms=10']);
    await closed;
    for (let i = 0; i < 100 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sockets.size, 0, 'the pool closed its connection');
  });
});
