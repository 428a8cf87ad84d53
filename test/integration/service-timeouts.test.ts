// A Kong service's retries and timeouts through a real edge, each against an upstream that
// misbehaves in exactly the way the field is about. No timing assertions: each field is shown by
// the answer it produces where the default (60 s, 5 retries) would produce another.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { useHarness } from '../support/harness.js';

interface Upstream { readonly port: number; hits: number; close(): void }

/** an HTTP upstream with one behaviour: answer, hang (never answer) or reset after reading */
async function upstream(mode: 'ok' | 'hang' | 'reset', name: string): Promise<Upstream> {
  const held: http.ServerResponse[] = [];
  const u = { port: 0, hits: 0, close: () => {} };
  const server = http.createServer((req, res) => {
    u.hits++;
    req.resume();
    if (mode === 'ok') req.on('end', () => res.writeHead(200).end(name));
    else if (mode === 'hang') held.push(res);
    else req.on('end', () => res.socket?.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  u.port = (server.address() as AddressInfo).port;
  u.close = () => { server.closeAllConnections(); server.close(); };
  return u;
}

/** accepts TCP connections and never speaks: a TLS client waits in its handshake (part of the connect phase) */
async function silentTcp(): Promise<{ port: number; close(): void }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => { sockets.push(s); s.on('error', () => {}); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => { for (const s of sockets) s.destroy(); server.close(); } };
}

describe('service retries and timeouts end to end', function () {
  this.timeout(60_000);
  const harness = useHarness('service-timeouts', { consul: false });
  const closers: (() => void)[] = [];
  after(() => { for (const c of closers) c(); });
  const track = <T extends { close(): void }>(x: T): T => { closers.push(() => x.close()); return x; };

  it('retries: 0 leaves a reset GET as 502; retries: 1 sends it to the other target (200)', async () => {
    const h = harness();
    const reset = track(await upstream('reset', 'reset'));
    const fine = track(await upstream('ok', 'fine'));
    const deck = (retries: number) => ({
      _format_version: '3.0',
      upstreams: [{ name: 'lb', targets: [reset, fine].map((x) => ({ target: `127.0.0.1:${x.port}` })), passive: { max_fails: 0 } }],
      services: [{ name: 's', url: 'http://lb', retries, routes: [{ name: 'r', paths: ['/'] }] }],
    });
    const statuses = async (retries: number) => {
      const edge = await h.startDeck(`retries-${retries}`, deck(retries));
      const out: number[] = [];
      for (let i = 0; i < 6; i++) out.push((await h.http.get(`${edge.url}/item`)).status);
      return out;
    };
    assert.deepEqual([...new Set(await statuses(0))].sort(), [200, 502], 'round-robin sends half of them to the resetting target');
    const hitsBefore = reset.hits;
    assert.deepEqual(await statuses(1), [200, 200, 200, 200, 200, 200]);
    assert.ok(reset.hits > hitsBefore, 'the resetting target was tried first for some');
  });

  it('connect_timeout: a connect (TCP and TLS handshake) that does not finish in time is 504 MG_CONNECT_TIMEOUT', async () => {
    const h = harness();
    const silent = track(await silentTcp());
    const edge = await h.startDeck('connect-timeout', {
      _format_version: '3.0',
      services: [{ name: 's', url: `https://127.0.0.1:${silent.port}`, retries: 0, connect_timeout: 300, read_timeout: 60_000, routes: [{ paths: ['/'] }] }],
    });
    const r = await h.http.get(`${edge.url}/x`, { timeoutMs: 15_000 });
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json().code, 'MG_CONNECT_TIMEOUT');
  });

  it('read_timeout: an upstream that takes the request and never answers is 504 MG_UPSTREAM_TIMEOUT', async () => {
    const h = harness();
    const hang = track(await upstream('hang', 'hang'));
    const edge = await h.startDeck('read-timeout', {
      _format_version: '3.0',
      services: [{ name: 's', url: `http://127.0.0.1:${hang.port}`, retries: 0, read_timeout: 300, routes: [{ paths: ['/'] }] }],
    });
    const r = await h.http.get(`${edge.url}/x`, { timeoutMs: 15_000 });
    assert.equal(r.status, 504, r.text);
    assert.equal(r.json().code, 'MG_UPSTREAM_TIMEOUT');
    assert.equal(hang.hits, 1);
  });

  it('per_try_timeout: a GET whose attempt gets no response headers in time is retried on another target, long before read_timeout', async () => {
    const h = harness();
    const hang = track(await upstream('hang', 'hang'));
    const fine = track(await upstream('ok', 'fine'));
    const edge = await h.startDeck('per-try-timeout', {
      _format_version: '3.0',
      upstreams: [{ name: 'lb', targets: [hang, fine].map((x) => ({ target: `127.0.0.1:${x.port}` })), passive: { max_fails: 0 } }],
      services: [{ name: 's', url: 'http://lb', retries: 2, per_try_timeout: 300, read_timeout: 60_000, routes: [{ paths: ['/'] }] }],
    });
    for (let i = 0; i < 4; i++) {
      const r = await h.http.get(`${edge.url}/x`, { timeoutMs: 15_000 });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, 'fine');
    }
    assert.ok(hang.hits >= 1, 'round-robin sent an attempt to the hanging target');
  });
});
