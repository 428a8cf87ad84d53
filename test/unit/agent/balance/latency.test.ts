import assert from 'node:assert/strict';
import { decayedLatencyMs, LATENCY_DECAY_MS, LatencyBalancer, recordLatency } from '../../../../agent/balance/latency.js';
import { EndpointState } from '../../../../agent/pool/endpoint-state.js';
import { members } from './members.js';

const NOW = 1_000_000;

describe('latency balancer (Kong\'s EWMA)', () => {
  const EWMA_ROWS: readonly [string, [number, number][], number, number][] = [
    // [samples (ms, at), read at, want]
    ['the first sample is the EWMA', [[100, NOW]], NOW, 100],
    ['a second sample at the same time does not move it', [[100, NOW], [300, NOW]], NOW, 100],
    ['one decay time later a sample weighs 1 - 1/e', [[100, NOW], [300, NOW + LATENCY_DECAY_MS]], NOW + LATENCY_DECAY_MS, 100 / Math.E + 300 * (1 - 1 / Math.E)],
    ['idle for one decay time, it decays towards 0 by 1/e', [[100, NOW]], NOW + LATENCY_DECAY_MS, 100 / Math.E],
  ];
  for (const [name, samples, at, want] of EWMA_ROWS) {
    it(name, () => {
      const s = new EndpointState('a');
      for (const [ms, t] of samples) recordLatency(s, ms, t);
      assert.ok(Math.abs(decayedLatencyMs(s, at) - want) < 1e-9, `${decayedLatencyMs(s, at)} vs ${want}`);
    });
  }

  const PICK_ROWS: readonly [string, number[], number[], string][] = [
    ['of two, the faster wins', [1, 1], [50, 5], 'b'],
    ['weight divides the EWMA: 50/10 < 20/1', [10, 1], [50, 20], 'a'],
  ];
  for (const [name, weights, ewma, want] of PICK_ROWS) {
    it(name, () => {
      const ms = members(weights);
      ms.forEach((m, i) => { if (ewma[i]! > 0) recordLatency(m.state, ewma[i]!, NOW); });
      const b = new LatencyBalancer(ms, NOW, () => 0);
      for (let i = 0; i < 5; i++) assert.equal(b.pick(ms, NOW, null)?.key, want);
    });
  }

  it('a member slow long ago beats one slow just now (the EWMA decays while idle)', () => {
    const ms = members([1, 1]);
    recordLatency(ms[0]!.state, 80, NOW - 6 * LATENCY_DECAY_MS);
    recordLatency(ms[1]!.state, 20, NOW);
    assert.equal(new LatencyBalancer(ms, NOW, () => 0).pick(ms, NOW, null)?.key, 'a');
  });

  it('a new member starts at the average of the measured ones (slow start)', () => {
    const ms = members([1, 1, 1]);
    recordLatency(ms[0]!.state, 10, NOW);
    recordLatency(ms[1]!.state, 30, NOW);
    new LatencyBalancer(ms, NOW);
    assert.equal(decayedLatencyMs(ms[2]!.state, NOW), 20);
  });

  it('skips tried members', () => {
    const ms = members([1, 1]);
    recordLatency(ms[0]!.state, 1, NOW);
    recordLatency(ms[1]!.state, 100, NOW);
    const b = new LatencyBalancer(ms, NOW, () => 0);
    assert.equal(b.pick(ms, NOW, new Set([ms[0]!]))?.key, 'b');
    assert.equal(b.pick(ms, NOW, new Set(ms)), undefined);
  });
});
