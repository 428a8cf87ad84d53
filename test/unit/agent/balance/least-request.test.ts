import assert from 'node:assert/strict';
import { LeastRequestBalancer } from '../../../../agent/balance/least-request.js';
import { members, tally } from './members.js';

const NOW = 1_000_000;

/** A fixed sequence of "random" numbers, so each row names which two members are drawn. */
function draws(...xs: number[]): () => number {
  let i = 0;
  return () => xs[i++ % xs.length]!;
}

describe('LeastRequestBalancer (power of two choices)', () => {
  // 3 members: a draw of 0.0 → a, 0.4 → b, 0.7 → c
  const ROWS: readonly [string, number[], number[], number[], string][] = [
    ['of a and b, fewer in flight wins', [1, 1, 1], [3, 1, 0], [0.0, 0.4], 'b'],
    ['of b and c, fewer in flight wins', [1, 1, 1], [0, 2, 1], [0.4, 0.7], 'c'],
    ['the idlest member is not drawn: the better of the two drawn wins', [1, 1, 1], [5, 4, 0], [0.0, 0.4], 'b'],
    ['ties keep the first draw', [1, 1, 1], [1, 1, 1], [0.7, 0.0], 'c'],
    ['weight counts: (1+1)/4 < (0+1)/1', [1, 4, 1], [0, 1, 0], [0.0, 0.4], 'b'],
    ['the same member drawn twice: the second draw moves to the next member', [1, 1, 1], [2, 1, 0], [0.0, 0.0], 'b'],
  ];
  for (const [name, weights, inflight, rnd, want] of ROWS) {
    it(name, () => {
      const ms = members(weights);
      ms.forEach((m, i) => { m.state.inflight = inflight[i]!; });
      assert.equal(new LeastRequestBalancer(draws(...rnd)).pick(ms, NOW, null)?.key, want);
    });
  }

  it('skips tried and weight-0 members, and returns undefined when none is left', () => {
    const ms = members([1, 0, 1]);
    const b = new LeastRequestBalancer(draws(0.0, 0.4));
    assert.equal(b.pick(ms, NOW, new Set([ms[0]!]))?.key, 'c');
    assert.equal(b.pick(ms, NOW, new Set([ms[0]!, ms[2]!])), undefined);
    assert.equal(b.pick([], NOW, null), undefined);
  });

  it('a lone eligible member is picked', () => {
    const ms = members([1, 1]);
    assert.equal(new LeastRequestBalancer(draws(0.9, 0.9)).pick(ms, NOW, new Set([ms[1]!]))?.key, 'a');
  });

  it('spreads idle load over every member with real randomness', () => {
    const ms = members([1, 1, 1, 1]);
    const b = new LeastRequestBalancer();
    const t = tally(Array.from({ length: 4000 }, () => b.pick(ms, NOW, null)));
    for (const k of ['a', 'b', 'c', 'd']) assert.ok(t[k]! > 700, `${k} got ${t[k]}`);
  });
});
