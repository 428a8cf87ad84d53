import assert from 'node:assert/strict';
import { HashRing, hashString, remapFraction, type RingTarget } from '../../../../agent/balance/hash-ring.js';

const KEYS = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);

function targets(n: number, weight = 100): RingTarget[] {
  return Array.from({ length: n }, (_, i) => ({ key: `10.0.0.${i + 1}:8080`, weight }));
}

function shares(ring: HashRing, ts: readonly RingTarget[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const k of KEYS) {
    const t = ts[ring.owner(hashString(k))]!.key;
    out.set(t, (out.get(t) ?? 0) + 1 / KEYS.length);
  }
  return out;
}

describe('HashRing', () => {
  const REMAP_ROWS: readonly [string, number, (ts: RingTarget[]) => RingTarget[], number][] = [
    ['remove one of 4', 4, (ts) => ts.slice(1), 1 / 4],
    ['remove one of 10', 10, (ts) => ts.filter((_, i) => i !== 5), 1 / 10],
    ['add a 5th to 4', 4, (ts) => [...ts, { key: '10.0.0.99:8080', weight: 100 }], 1 / 5],
    ['add an 11th to 10', 10, (ts) => [...ts, { key: '10.0.0.99:8080', weight: 100 }], 1 / 11],
  ];
  for (const [name, n, change, ideal] of REMAP_ROWS) {
    it(`${name} remaps about ${ideal.toFixed(3)} of keys`, () => {
      const before = targets(n);
      const after = change(before);
      const f = remapFraction(new HashRing(before, 10_000), before, new HashRing(after, 10_000), after, KEYS);
      assert.ok(Math.abs(f - ideal) < ideal * 0.25, `moved ${f.toFixed(4)}, ideal ${ideal.toFixed(4)}`);
    });
  }

  it('does not depend on the order of the targets', () => {
    const ts = targets(5);
    const rev = [...ts].reverse();
    assert.equal(remapFraction(new HashRing(ts, 1000), ts, new HashRing(rev, 1000), rev, KEYS), 0);
  });

  it('spreads keys by weight', () => {
    const ts: RingTarget[] = [{ key: 'a:1', weight: 100 }, { key: 'b:1', weight: 300 }];
    const s = shares(new HashRing(ts, 10_000), ts);
    assert.ok(Math.abs(s.get('a:1')! - 0.25) < 0.04, `a has ${s.get('a:1')}`);
  });

  it('weight 0 owns no points; an empty ring owns nothing', () => {
    const ts: RingTarget[] = [{ key: 'a:1', weight: 0 }, { key: 'b:1', weight: 10 }];
    const ring = new HashRing(ts, 100);
    for (const k of KEYS.slice(0, 100)) assert.equal(ring.owner(hashString(k)), 1);
    assert.equal(new HashRing([], 100).owner(123), -1);
  });

  it('an unusable owner spills its keys to the next owners only', () => {
    const ts = targets(4);
    const ring = new HashRing(ts, 4000);
    let stayed = 0;
    let total = 0;
    for (const k of KEYS) {
      const h = hashString(k);
      const o = ring.owner(h);
      const without = ring.owner(h, (x) => x !== 0);
      assert.notEqual(without, 0);
      if (o !== 0) { total++; if (without === o) stayed++; }
    }
    assert.equal(stayed, total);
    assert.equal(ring.owner(1, () => false), -1);
  });
});
