import assert from 'node:assert/strict';
import { PoolGuard } from '../../../../agent/discovery/pool-guard.js';

const POLICY = { maxShrinkFraction: 0.5, holdMs: 60_000 };
const m = (...keys: string[]) => keys.map((key) => ({ key }));
const keys = (ms: readonly { key: string }[]) => ms.map((x) => x.key).sort().join(',');
const healthy = () => false;

describe('PoolGuard', () => {
  // each row: answers in order at t=0, then `next` at `at`; the members served then
  const ROWS: readonly [string, string[], string[], number, (k: string) => boolean, string, number][] = [
    ['N → 0 keeps every member', ['a', 'b', 'c', 'd'], [], 1000, healthy, 'a,b,c,d', 4],
    ['4 → 1 (75% gone > 50%) keeps the vanished', ['a', 'b', 'c', 'd'], ['a'], 1000, healthy, 'a,b,c,d', 3],
    ['4 → 2 (50%, not more) is applied', ['a', 'b', 'c', 'd'], ['a', 'b'], 1000, healthy, 'a,b', 0],
    ['4 → 3 is applied', ['a', 'b', 'c', 'd'], ['a', 'b', 'c'], 1000, healthy, 'a,b,c', 0],
    ['a member failing locally too is not kept', ['a', 'b', 'c', 'd'], [], 1000, (k) => k === 'b', 'a,c,d', 3],
    ['a collapse still there when the hold ends is applied', ['a', 'b', 'c', 'd'], [], 60_000, healthy, '', 0],
    ['growth is applied', ['a'], ['a', 'b', 'c'], 1000, healthy, 'a,b,c', 0],
    ['replacing every member at once is a collapse too', ['a', 'b'], ['x', 'y'], 1000, healthy, 'a,b,x,y', 2],
    ['a first answer of 0 is applied (no last-known-good)', [], [], 1000, healthy, '', 0],
  ];
  for (const [name, first, next, at, failing, want, kept] of ROWS) {
    it(name, () => {
      const g = new PoolGuard<{ key: string }>(POLICY);
      g.decide(m(...first), 0, healthy);
      g.decide(m(...next), 0, failing); // the collapse is first seen at t=0
      const d = g.decide(m(...next), at, failing);
      assert.equal(keys(d.members), want);
      assert.equal(d.kept, kept);
      assert.equal(d.recheckAt, kept > 0 ? POLICY.holdMs : null);
    });
  }

  it('recovery during the hold ends it, and a later collapse gets a full hold again', () => {
    const g = new PoolGuard<{ key: string }>(POLICY);
    g.decide(m('a', 'b', 'c'), 0, healthy);
    assert.equal(g.decide([], 10, healthy).kept, 3);
    assert.equal(g.holding, true);
    assert.equal(keys(g.decide(m('a', 'b', 'c'), 20, healthy).members), 'a,b,c');
    assert.equal(g.holding, false);
    assert.equal(g.decide([], 100_000, healthy).recheckAt, 160_000);
  });

  it('the hold is measured from the first collapsed answer, not the latest', () => {
    const g = new PoolGuard<{ key: string }>(POLICY);
    g.decide(m('a', 'b'), 0, healthy);
    g.decide([], 1000, healthy);
    g.decide([], 30_000, healthy);
    assert.equal(g.decide([], 61_000, healthy).members.length, 0);
  });
});
