import assert from 'node:assert/strict';
import { planHit } from '../../../../agent/plugins/rate-limiting/counters.js';
import { LocalCounterStore } from '../../../../agent/plugins/rate-limiting/local-store.js';
import { countHits, IpcCounters, IpcTlsSource } from '../../../../agent/workers/ipc-shared-state.js';
import type { FromWorker } from '../../../../agent/workers/protocol.js';
import { FakeLink } from './fake-link.js';

/** The primary's authority: one store answering every worker's hits in arrival order, a turn later. */
function authority(store: LocalCounterStore) {
  return (m: FromWorker, link: FakeLink) => {
    if (m.mg !== 'count') return;
    const results = countHits(store, m.hits);
    setImmediate(() => link.deliver({ mg: 'counted', results }));
  };
}

describe('rate-limit counters shared by workers through the primary', () => {
  it('three workers hitting one 100/minute limit at once let exactly 100 of 300 through', async () => {
    const store = new LocalCounterStore();
    const workers = [0, 1, 2].map(() => new IpcCounters(new FakeLink(authority(store))));
    const now = Date.UTC(2026, 11, 7, 12, 0, 0);
    const plan = planHit([{ period: 'minute', limit: 100 }], 'ratelimit:r:s:', 'client', now, false).request;
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => workers[i % 3]!.hit(plan, now)));
    assert.equal(results.filter((r) => r.allowed).length, 100);
    assert.deepEqual(results.filter((r) => r.allowed).map((r) => r.counts[0]).sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('sends a loop turn\'s hits in one message; answers go to the hit that asked, whatever their order', async () => {
    const link = new FakeLink();
    const c = new IpcCounters(link);
    const plan = planHit([{ period: 'second', limit: 5 }], 'p:', 'x', 0, false).request;
    const first = c.hit(plan, 0);
    const second = c.hit(plan, 0);
    assert.equal(link.sent.length, 0, 'nothing sent before the turn ends');
    await new Promise((r) => setImmediate(r));
    assert.equal(link.sent.length, 1);
    const sent = link.sent[0]!;
    assert.ok(sent.mg === 'count' && sent.hits.length === 2);
    const [a, b] = sent.hits;
    link.deliver({ mg: 'counted', results: [[b!.id, { allowed: false, counts: [2], previous: [0] }], [a!.id, { allowed: true, counts: [1], previous: [0] }]] });
    assert.deepEqual((await first).counts, [1]);
    assert.deepEqual((await second).counts, [2]);
  });

  it('reads a counter\'s live value from the primary without counting (the explain report)', async () => {
    const store = new LocalCounterStore();
    const link = new FakeLink((m, l) => {
      if (m.mg === 'count') { const results = countHits(store, m.hits); setImmediate(() => l.deliver({ mg: 'counted', results })); }
      if (m.mg === 'peek') setImmediate(() => l.deliver({ mg: 'peeked', id: m.id, count: store.count(m.key, m.nowMs) }));
    });
    const c = new IpcCounters(link);
    const plan = planHit([{ period: 'minute', limit: 10 }], 'p:', 'x', 0, false).request;
    await Promise.all([c.hit(plan, 0), c.hit(plan, 0), c.hit(plan, 0)]);
    assert.equal(await c.count(plan.keys[0]!, 0), 3);
    assert.equal(await c.count(plan.keys[0]!, 0), 3, 'reading counts nothing');
    assert.equal(await c.count('p:other', 0), 0);
  });

  it('the mesh material a worker gets is the primary\'s, rebuilt into maps', () => {
    const link = new FakeLink();
    const got: unknown[] = [];
    new IpcTlsSource(link).start((m) => got.push(m));
    link.deliver({ mg: 'mesh', material: { rootsPem: ['R'], trustDomains: ['td'], leaves: [] } });
    assert.equal(got.length, 1);
    assert.ok((got[0] as { trustDomains: Set<string> }).trustDomains.has('td'));
  });
});
