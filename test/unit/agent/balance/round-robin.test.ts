import assert from 'node:assert/strict';
import { RoundRobinBalancer, smoothSchedule } from '../../../../agent/balance/round-robin.js';
import { members, tally } from './members.js';

const NOW = 1_000_000;
const letters = (s: readonly number[]): string => s.map((i) => String.fromCharCode(97 + i)).join(' ');

describe('smoothSchedule', () => {
  const ROWS: readonly [string, number[], string][] = [
    ["nginx's smooth sequence for 5,1,1", [5, 1, 1], 'a a b a c a a'],
    ['equal weights alternate', [100, 100], 'a b'],
    ['gcd reduction', [2, 4], 'b a b'],
    ['gcd reduction of three', [30, 20, 10], 'a b a c b a'],
    ['single member', [7], 'a'],
    ['zero weights excluded', [0, 3, 0, 3], 'b d'],
    ['all zero', [0, 0], ''],
    ['no members', [], ''],
    ['3,1', [3, 1], 'a a b a'],
  ];
  for (const [name, weights, want] of ROWS) {
    it(`${name}: [${weights.join(',')}] → ${want || '(empty)'}`, () => assert.equal(letters(smoothSchedule(weights)), want));
  }

  it('gives each member a share proportional to its weight', () => {
    const s = smoothSchedule([7, 3, 11]);
    assert.equal(s.length, 21);
    assert.deepEqual([0, 1, 2].map((i) => s.filter((x) => x === i).length), [7, 3, 11]);
  });

  it('never puts the same heavy member more than needed in a row (smoothness)', () => {
    // 5,1,1: a plain weighted round-robin would give "a a a a a b c"
    const s = smoothSchedule([5, 1, 1]);
    let run = 0;
    let longest = 0;
    for (const x of s) { run = x === 0 ? run + 1 : 0; longest = Math.max(longest, run); }
    assert.ok(longest <= 2, `longest run of a: ${longest}`);
  });

  it('bounds the schedule of large coprime weights and keeps every member in it', () => {
    const s = smoothSchedule([65535, 65534, 1]);
    assert.ok(s.length <= 4100, `length ${s.length}`);
    for (const i of [0, 1, 2]) assert.ok(s.includes(i), `member ${i} missing`);
  });
});

describe('RoundRobinBalancer', () => {
  it('spreads picks equally over equal members', () => {
    const ms = members([1, 1, 1]);
    const b = new RoundRobinBalancer(ms, 0);
    const picks = Array.from({ length: 300 }, () => b.pick(ms, NOW, null));
    assert.deepEqual(tally(picks), { a: 100, b: 100, c: 100 });
  });

  it('follows the weights', () => {
    const ms = members([5, 1, 1]);
    const b = new RoundRobinBalancer(ms, 0);
    const picks = Array.from({ length: 70 }, () => b.pick(ms, NOW, null));
    assert.deepEqual(tally(picks), { a: 50, b: 10, c: 10 });
    assert.equal(picks.slice(0, 7).map((m) => m!.key).join(' '), 'a a b a c a a');
  });

  it('starts anywhere in the schedule but keeps the spread', () => {
    const ms = members([1, 1]);
    for (const start of [1, 7, 1023]) {
      const b = new RoundRobinBalancer(ms, start);
      assert.deepEqual(tally(Array.from({ length: 10 }, () => b.pick(ms, NOW, null))), { a: 5, b: 5 });
    }
  });

  it('skips a member that is skipped until later, and takes it back afterwards', () => {
    const ms = members([1, 1, 1]);
    ms[1]!.state.skippedUntil = NOW + 5_000;
    const b = new RoundRobinBalancer(ms, 0);
    const during = Array.from({ length: 30 }, () => b.pick(ms, NOW, null));
    assert.equal(tally(during).b, undefined);
    assert.equal(tally(during).a, 15);
    assert.equal(tally(during).c, 15);
    const after = Array.from({ length: 30 }, () => b.pick(ms, NOW + 5_000, null));
    assert.equal(tally(after).b, 10);
  });

  it('skips members this request already tried', () => {
    const ms = members([1, 1, 1]);
    const b = new RoundRobinBalancer(ms, 0);
    const tried = new Set([ms[0]!, ms[2]!]);
    for (let i = 0; i < 6; i++) assert.equal(b.pick(ms, NOW, tried), ms[1]);
  });

  it('returns undefined when no member is eligible', () => {
    const ms = members([1, 1]);
    const b = new RoundRobinBalancer(ms, 0);
    ms[0]!.state.skippedUntil = NOW + 1;
    assert.equal(b.pick(ms, NOW, new Set([ms[1]!])), undefined);
  });

  it('never picks a weight-0 member', () => {
    const ms = members([0, 2]);
    const b = new RoundRobinBalancer(ms, 0);
    assert.deepEqual(tally(Array.from({ length: 10 }, () => b.pick(ms, NOW, null))), { b: 10 });
    assert.equal(b.pick(ms, NOW, new Set([ms[1]!])), undefined);
  });

  it('returns undefined for an empty pool', () => {
    assert.equal(new RoundRobinBalancer([], 0).pick([], NOW, null), undefined);
  });
});
