import assert from 'node:assert/strict';
import { LeastConnectionsBalancer } from '../../../../agent/balance/least-connections.js';
import { members, tally } from './members.js';

const NOW = 1_000_000;

function withInflight(weights: number[], inflight: number[]) {
  const ms = members(weights);
  ms.forEach((m, i) => { m.state.inflight = inflight[i]!; });
  return ms;
}

describe('LeastConnectionsBalancer', () => {
  const ROWS: readonly [string, number[], number[], string][] = [
    ['fewest in flight', [1, 1, 1], [2, 0, 1], 'b'],
    ['fewest in flight, last', [1, 1, 1], [3, 3, 1], 'c'],
    ['weight 3 with 1 in flight beats weight 1 idle ((1+1)/3 < (0+1)/1)', [1, 3], [0, 1], 'b'],
    ['weight 2 with 2 in flight beats weight 1 with 1 ((2+1)/2 < (1+1)/1)', [1, 2], [1, 2], 'b'],
    ['weight 10 with 5 in flight beats weight 1 idle (6/10 < 1)', [1, 10], [0, 5], 'b'],
    ['weight 1 idle beats weight 2 with 2 in flight (1 < 3/2)', [1, 2], [0, 2], 'a'],
  ];
  for (const [name, weights, inflight, want] of ROWS) {
    it(`${name}: weights [${weights}], in flight [${inflight}] → ${want}`, () => {
      const ms = withInflight(weights, inflight);
      const b = new LeastConnectionsBalancer();
      // whatever the rotation offset, the best score wins
      for (let i = 0; i < ms.length * 2; i++) assert.equal(b.pick(ms, NOW, null)?.key, want);
    });
  }

  it('rotates among ties so idle members share the load', () => {
    const ms = members([1, 1, 1]);
    const b = new LeastConnectionsBalancer();
    assert.deepEqual(tally(Array.from({ length: 30 }, () => b.pick(ms, NOW, null))), { a: 10, b: 10, c: 10 });
  });

  it('rotates only among the tied best members', () => {
    const ms = withInflight([1, 1, 1, 1], [0, 4, 0, 4]);
    const b = new LeastConnectionsBalancer();
    assert.deepEqual(tally(Array.from({ length: 8 }, () => b.pick(ms, NOW, null))), { a: 4, c: 4 });
  });

  it('follows in-flight counts as they change', () => {
    const ms = members([1, 1]);
    const b = new LeastConnectionsBalancer();
    const first = b.pick(ms, NOW, null)!;
    first.state.inflight++;
    const second = b.pick(ms, NOW, null)!;
    assert.notEqual(second, first);
    second.state.inflight += 2;
    assert.equal(b.pick(ms, NOW, null), first);
  });

  it('skips unavailable, tried and weight-0 members', () => {
    const ms = withInflight([1, 1, 0, 1], [0, 0, 0, 9]);
    ms[0]!.state.skippedUntil = NOW + 1;
    const tried = new Set([ms[1]!]);
    const b = new LeastConnectionsBalancer();
    for (let i = 0; i < 4; i++) assert.equal(b.pick(ms, NOW, tried)?.key, 'd');
    assert.equal(b.pick(ms, NOW + 1, tried)?.key, 'a', 'available again once skippedUntil has passed');
  });

  it('returns undefined when none is eligible, or the pool is empty', () => {
    const ms = members([1, 0]);
    const b = new LeastConnectionsBalancer();
    assert.equal(b.pick(ms, NOW, new Set([ms[0]!])), undefined);
    assert.equal(b.pick([], NOW, null), undefined);
  });
});
