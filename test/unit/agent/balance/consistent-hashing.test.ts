import assert from 'node:assert/strict';
import { ConsistentHashingBalancer } from '../../../../agent/balance/consistent-hashing.js';
import { hashString } from '../../../../agent/balance/hash-ring.js';
import { members, tally } from './members.js';

const NOW = 1_000_000;
const KEYS = Array.from({ length: 2000 }, (_, i) => hashString(`user-${i}`));

describe('ConsistentHashingBalancer', () => {
  it('the same hash always picks the same member', () => {
    const ms = members([1, 1, 1, 1]);
    const b = new ConsistentHashingBalancer(ms, 1000);
    for (const h of KEYS.slice(0, 50)) {
      const first = b.pick(ms, NOW, null, h);
      for (let i = 0; i < 5; i++) assert.equal(b.pick(ms, NOW, null, h), first);
    }
  });

  it('spreads keys by weight', () => {
    const ms = members([1, 3]);
    const b = new ConsistentHashingBalancer(ms, 10_000);
    const t = tally(KEYS.map((h) => b.pick(ms, NOW, null, h)));
    assert.ok(t.b! / KEYS.length > 0.7 && t.b! / KEYS.length < 0.8, JSON.stringify(t));
  });

  it('an ejected owner\'s keys move to others; every other key stays where it was', () => {
    const ms = members([1, 1, 1, 1]);
    const b = new ConsistentHashingBalancer(ms, 1000);
    const before = KEYS.map((h) => b.pick(ms, NOW, null, h)!);
    ms[1]!.state.skippedUntil = NOW + 1000;
    KEYS.forEach((h, i) => {
      const now = b.pick(ms, NOW, null, h)!;
      if (before[i] === ms[1]) assert.notEqual(now, ms[1]);
      else assert.equal(now, before[i]);
    });
  });

  it('a retry skips the tried owner, and none left is undefined', () => {
    const ms = members([1, 1]);
    const b = new ConsistentHashingBalancer(ms, 100);
    const first = b.pick(ms, NOW, null, KEYS[0]!)!;
    const second = b.pick(ms, NOW, new Set([first]), KEYS[0]!)!;
    assert.notEqual(second, first);
    assert.equal(b.pick(ms, NOW, new Set(ms), KEYS[0]!), undefined);
    assert.equal(new ConsistentHashingBalancer([], 100).pick([], NOW, null, 1), undefined);
  });

  it('slots sizes the table (rounded up to a prime)', () => {
    // 2 members on 11 entries vs 10007: with 11 the shares can only be multiples of 1/11
    const ms = members([1, 1]);
    const small = new ConsistentHashingBalancer(ms, 10);
    const t = tally(Array.from({ length: 11 }, (_, i) => small.pick(ms, NOW, null, i)));
    assert.deepEqual(Object.values(t).sort(), [5, 6]);
  });
});
