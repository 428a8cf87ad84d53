import assert from 'node:assert/strict';
import { Coalescer } from '../../../../../agent/plugins/proxy-cache/coalescing.js';
import { cacheStatus, instance, json, request, upstream, type UpstreamAnswer } from './fixtures.js';

/** A promise the test resolves by hand (the upstream holding its answer). */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => { open = r; });
  return { opened, open };
}

describe('proxy-cache coalescing', () => {
  it('Coalescer: one leader per key; waiters learn whether the fill succeeded', async () => {
    const c = new Coalescer(10_000);
    const lead = c.lead('k');
    assert.ok(lead);
    assert.equal(c.lead('k'), null);
    assert.ok(c.lead('other'));
    const waiting = c.wait('k');
    assert.ok(waiting);
    lead.release(true);
    lead.release(false); // idempotent: the first outcome stands
    assert.equal(await waiting, true);
    assert.equal(c.wait('k'), null, 'the flight is over');
    const again = c.lead('k');
    assert.ok(again);
    const w2 = c.wait('k')!;
    again.release(false);
    assert.equal(await w2, false);
  });

  it('Coalescer: a flight ends by itself after maxWaitMs', async () => {
    const c = new Coalescer(30);
    c.lead('k');
    const t0 = Date.now();
    assert.equal(await c.wait('k'), false);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(c.size, 0);
  });

  async function concurrent(n: number, answer: UpstreamAnswer, extra: Record<string, unknown> = {}) {
    const p = instance(extra);
    const g = gate();
    const up = upstream(async () => { await g.opened; return answer; });
    const all = Promise.all(Array.from({ length: n }, () => request(p, up, { url: '/cold' })));
    await new Promise((r) => setTimeout(r, 20));
    const callsWhileHeld = up.calls;
    g.open();
    return { results: await all, up, callsWhileHeld, p };
  }

  it('100 concurrent misses on one cold key → exactly one upstream request, the others served from the store', async () => {
    const { results, up, callsWhileHeld } = await concurrent(100, { headers: json(), body: '{"n":1}' });
    assert.equal(callsWhileHeld, 1, 'only the leader went upstream while it was in flight');
    assert.equal(up.calls, 1);
    assert.equal(results.filter((r) => cacheStatus(r) === 'Miss').length, 1);
    assert.equal(results.filter((r) => r.fromCache && cacheStatus(r) === 'Hit').length, 99);
    assert.ok(results.every((r) => r.body === '{"n":1}'));
  });

  it('a failed fill (500) is not replayed: the waiters go upstream themselves', async () => {
    const { results, up } = await concurrent(10, { status: 500, headers: json(), body: '{"error":1}' });
    assert.equal(up.calls, 10);
    assert.ok(results.every((r) => r.status === 500 && !r.fromCache && cacheStatus(r) === 'Bypass'));
  });

  it('a non-cacheable answer (Set-Cookie) is not replayed to the waiters', async () => {
    const { results, up } = await concurrent(5, { headers: json([['Set-Cookie', 'sid=secret']]), body: '{}' });
    assert.equal(up.calls, 5);
    assert.ok(results.every((r) => !r.fromCache));
  });

  it('a truncated body (tap abort) is not replayed and not stored', async () => {
    const { results, up, p } = await concurrent(5, { headers: json(), body: '{"long":"body"}', truncated: true });
    assert.equal(up.calls, 5);
    assert.ok(results.every((r) => !r.fromCache));
    const next = await request(p, upstream({ headers: json(), body: '{}' }), { url: '/cold' });
    assert.equal(cacheStatus(next), 'Miss');
  });

  it('waiting is bounded: a leader that never answers releases its waiters after the bound', async () => {
    const p = instance({}, { coalesceWaitMs: 50 });
    const never = new Promise<UpstreamAnswer>(() => {});
    let n = 0;
    const up = upstream(() => (++n === 1 ? never : { headers: json(), body: '{}' }));
    void request(p, up, { url: '/hung' });
    await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    const r = await request(p, up, { url: '/hung' });
    assert.equal(r.status, 200);
    assert.equal(up.calls, 2);
    assert.ok(Date.now() - t0 >= 40, 'it waited for the leader first');
  });

  it('requests with Authorization neither lead nor wait', async () => {
    const p = instance();
    const g = gate();
    const up = upstream(async () => { await g.opened; return { headers: json(), body: '{}' }; });
    const all = Promise.all([
      request(p, up, { url: '/a' }),
      request(p, up, { url: '/a', headers: [['Authorization', 'Bearer x']] }),
    ]);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(up.calls, 2, 'the Authorization request went upstream without waiting');
    g.open();
    await all;
  });

  it('other methods (POST, when listed) neither lead nor wait: each reaches the upstream', async () => {
    const p = instance({ request_method: ['GET', 'POST'] });
    const g = gate();
    const up = upstream(async () => { await g.opened; return { headers: json(), body: '{}' }; });
    const all = Promise.all(Array.from({ length: 3 }, () => request(p, up, { url: '/order', method: 'POST' })));
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(up.calls, 3);
    g.open();
    await all;
  });

  it('a HEAD does not lead a fill (it never stores), a GET does', async () => {
    const p = instance();
    const g = gate();
    const up = upstream(async () => { await g.opened; return { headers: json(), body: '{"x":1}' }; });
    const head = request(p, up, { url: '/h', method: 'HEAD' });
    await new Promise((r) => setTimeout(r, 5));
    const get = request(p, up, { url: '/h' });
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(up.calls, 2, 'the GET did not wait for the HEAD');
    g.open();
    const [h, gr] = await Promise.all([head, get]);
    assert.equal(h.body, '');
    assert.equal(gr.body, '{"x":1}');
  });
});
