import assert from 'node:assert/strict';
import { agentStatus, mergePools } from '../../../../agent/workers/agent-status.js';

const endpoint = (key: string, o: Partial<{ inflight: number; available: boolean; ejections: number; recent_failures: number; skipped_for_ms: number }>) => ({
  key, instance: key, weight: 1, inflight: 0, available: true, ejections: 0, recent_failures: 0, skipped_for_ms: 0, ...o,
});

describe('the agent\'s /status from its workers', () => {
  it('adds up per-endpoint state; an endpoint is available only if every worker may use it', () => {
    const merged = mergePools([
      [{ name: 'p', source: 'static', loaded: true, endpoints: [endpoint('a', { inflight: 1 }), endpoint('b', { ejections: 1, available: false, skipped_for_ms: 500 })] }],
      [{ name: 'p', source: 'static', loaded: true, endpoints: [endpoint('a', { inflight: 2, recent_failures: 1 }), endpoint('b', { skipped_for_ms: 900 })] }],
    ]);
    assert.deepEqual(merged[0]!.endpoints.map((e) => [e.key, e.inflight, e.available, e.ejections, e.recent_failures, e.skipped_for_ms]), [
      ['a', 3, true, 0, 1, 0],
      ['b', 0, false, 1, 0, 900],
    ]);
    assert.deepEqual(mergePools([]), []);
  });

  it('lists every worker, with null requests for one that did not answer', () => {
    const report = { node: 'n', routes: [{ name: 'r' }], pools: [] };
    const s = agentStatus([
      { index: 0, pid: 10, started: Date.UTC(2026, 11, 7), answer: { requests: 4, loaded: true, poolLagMs: 1, report } },
      { index: 1, pid: 11, started: Date.UTC(2026, 11, 7), answer: null },
    ], { ready: false, startedAt: 0, watchers: [], mesh: { tls: 'disabled' }, spare: { pid: 12, warm: true } }, 5000);
    assert.deepEqual(s.routes, [{ name: 'r' }]);
    assert.equal(s.uptime_s, 5);
    assert.deepEqual(s.workers, [
      { index: 0, pid: 10, started: '2026-12-07T00:00:00.000Z', requests: 4, ready: true, pool_lag_ms: 1 },
      { index: 1, pid: 11, started: '2026-12-07T00:00:00.000Z', requests: null, ready: false, pool_lag_ms: null },
    ]);
    assert.deepEqual(s.spare_worker, { pid: 12, warm: true });
  });
});
