// The tunnel's byte pump over real loopback sockets: bytes counted each way, a half-close passed
// on while the other direction keeps flowing, a close or reset ending both sides, idleness.
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { UpgradeSplice, type SpliceEnd } from '../../../../agent/proxy/upgrade-splice.js';

/** A connected pair: `near` is the server's socket (what the splice holds), `far` the peer's. */
async function pair(): Promise<{ near: Socket; far: Socket; close: () => void }> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const far = net.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  const [near] = (await once(server, 'connection')) as [Socket];
  await once(far, 'connect');
  return { near, far, close: () => { far.destroy(); near.destroy(); server.close(); } };
}

function collect(s: Socket): { text: () => string } {
  let got = '';
  s.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  return { text: () => got };
}

describe('UpgradeSplice', () => {
  let pairs: { close: () => void }[] = [];
  afterEach(() => { for (const p of pairs) p.close(); pairs = []; });

  async function splice(idleMs = 0, resetClient?: (near: Socket, why: SpliceEnd) => void): Promise<{ client: Socket; upstream: Socket; s: UpgradeSplice; ended: Promise<SpliceEnd> }> {
    const a = await pair();
    const b = await pair();
    pairs.push(a, b);
    let done!: (why: SpliceEnd) => void;
    const ended = new Promise<SpliceEnd>((r) => { done = r; });
    const s = resetClient === undefined ? new UpgradeSplice(a.near, b.near, idleMs, done) : new UpgradeSplice(a.near, b.near, idleMs, done, (why) => resetClient(a.near, why));
    s.start(Buffer.from('head:'));
    return { client: a.far, upstream: b.far, s, ended };
  }

  it('carries bytes both ways (the client head first) and counts them', async () => {
    const { client, upstream, s } = await splice();
    const up = collect(upstream);
    const down = collect(client);
    client.write('hello');
    upstream.write('world!');
    while (up.text().length < 10 || down.text().length < 6) await new Promise((r) => setTimeout(r, 5));
    assert.equal(up.text(), 'head:hello');
    assert.equal(down.text(), 'world!');
    assert.equal(s.bytesIn, 10);
    assert.equal(s.bytesOut, 6);
  });

  it('passes a half-close on while the other direction keeps flowing', async () => {
    const { client, upstream } = await splice();
    const down = collect(client);
    collect(upstream);
    client.end();
    await once(upstream, 'end');
    upstream.write('after your end');
    while (down.text() !== 'after your end') await new Promise((r) => setTimeout(r, 5));
    upstream.end();
    await once(client, 'end');
  });

  it('ends both sides when one resets, reporting the side', async () => {
    const { client, upstream, ended } = await splice();
    upstream.resetAndDestroy();
    await once(client, 'end');
    assert.equal(await ended, 'MG_UPSTREAM_RESET');
  });

  it('closes a tunnel with no bytes either way for idleMs', async () => {
    const { client, ended } = await splice(50);
    await once(client, 'end');
    assert.equal(await ended, 'MG_TUNNEL_IDLE');
  });

  it("ends the client's side with the caller's reset (an HTTP/2 stream is reset with a code), told why", async () => {
    const seen: SpliceEnd[] = [];
    const { client, ended } = await splice(50, (near, why) => { seen.push(why); near.destroy(); });
    await once(client, 'end');
    assert.equal(await ended, 'MG_TUNNEL_IDLE');
    assert.deepEqual(seen, ['MG_TUNNEL_IDLE']);
  });
});
