import assert from 'node:assert/strict';
import { backoffMs, nextIndex, parseIndexHeader } from '../../../registrar/consul-index-policy.js';

describe('nextIndex', () => {
  const ROWS: readonly [string, number, number | undefined, number][] = [
    ['first answer', 0, 42, 42],
    ['unchanged index', 42, 42, 42],
    ['moves forward', 42, 50, 50],
    ['goes backwards → reset', 50, 42, 0],
    ['goes backwards to 0 → reset', 50, 0, 0],
    ['missing → reset', 50, undefined, 0],
    ['NaN → reset', 50, Number.NaN, 0],
    ['Infinity → reset', 50, Number.POSITIVE_INFINITY, 0],
    ['negative → reset', 50, -3, 0],
    ['0 after 0 → never block on 0 twice', 0, 0, 1],
    ['fraction below 1 → clamped to 1', 0, 0.5, 1],
  ];
  for (const [name, previous, returned, want] of ROWS) {
    it(`${name}: (${previous}, ${String(returned)}) → ${want}`, () => assert.equal(nextIndex(previous, returned), want));
  }
  it('is monotonic along a sequence of growing indices', () => {
    let index = 0;
    for (const returned of [1, 5, 5, 9, 100]) {
      const next = nextIndex(index, returned);
      assert.ok(next >= index);
      assert.equal(next, returned);
      index = next;
    }
  });
});

describe('parseIndexHeader', () => {
  const ROWS: readonly [string | string[] | undefined, number | undefined][] = [
    ['42', 42],
    ['0', 0],
    ['9007199254740991', 9007199254740991],
    ['9007199254740993', undefined],
    ['', undefined],
    [undefined, undefined],
    ['abc', undefined],
    ['12.5', undefined],
    [['1', '2'], undefined],
  ];
  for (const [value, want] of ROWS) {
    it(`${JSON.stringify(value)} → ${String(want)}`, () => assert.equal(parseIndexHeader(value), want));
  }
});

describe('backoffMs', () => {
  const at = (r: number) => () => r;
  const ALMOST_ONE = 1 - Number.EPSILON;

  it('is half the ceiling with random 0 and just under the ceiling with random → 1', () => {
    // ceiling for attempt 3 with base 100: 100 * 2^2 = 400
    assert.equal(backoffMs(3, 100, 10_000, at(0)), 200);
    assert.equal(backoffMs(3, 100, 10_000, at(ALMOST_ONE)), 399);
    assert.equal(backoffMs(3, 100, 10_000, at(0.5)), 300);
  });

  it('grows with the attempt until the cap', () => {
    const lows = [1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, 250, 10_000, at(0)));
    assert.deepEqual(lows, [125, 250, 500, 1000, 2000, 4000]);
    const highs = [1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffMs(a, 250, 10_000, at(ALMOST_ONE)));
    for (let i = 1; i < highs.length; i++) assert.ok(highs[i]! >= highs[i - 1]!, `attempt ${i + 1} shrank`);
  });

  it('never exceeds the cap, even for huge attempts', () => {
    for (const attempt of [7, 8, 10, 30, 1000, 1e9]) {
      const v = backoffMs(attempt, 250, 10_000, at(ALMOST_ONE));
      assert.ok(v <= 10_000, `attempt ${attempt}: ${v}`);
      assert.ok(v >= 9_999, `attempt ${attempt}: ${v}`);
      assert.equal(backoffMs(attempt, 250, 10_000, at(0)), 5_000);
    }
  });

  it('stays within [ceiling/2, ceiling] for any random value', () => {
    for (const attempt of [1, 2, 5, 9]) {
      const ceiling = Math.min(10_000, 250 * 2 ** (attempt - 1));
      for (let r = 0; r < 1; r += 0.05) {
        const v = backoffMs(attempt, 250, 10_000, at(r));
        assert.ok(v >= ceiling / 2 && v <= ceiling, `attempt ${attempt}, random ${r}: ${v}`);
        assert.ok(Number.isInteger(v));
      }
    }
  });

  it('uses the injected random source', () => {
    let calls = 0;
    backoffMs(1, 250, 10_000, () => { calls++; return 0; });
    assert.equal(calls, 1);
  });
});
