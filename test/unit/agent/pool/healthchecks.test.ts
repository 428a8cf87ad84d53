// Kong's upstream healthchecks fields, from the compiled spec to the decision: passive (which
// answers count, how many eject, for how long) and active (how probes are counted, and probes over
// real local sockets for type, http_path, headers and timeout).
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { KongHealthchecks } from '../../../../proto/config-schema.js';
import { activeCheck, outlierHealth } from '../../../../agent/table/service-spec.js';
import { EndpointState, statusObservation, type Observation } from '../../../../agent/pool/endpoint-state.js';
import { ActiveProber, applyProbeResult, probeStatusResult, type ProbeResult } from '../../../../agent/pool/active-prober.js';
import { waitFor } from '../../../support/wait.js';

type Event = number | 'tcp' | 'timeout';

/** feeds the events one millisecond apart; returns the times at which the endpoint was ejected and until when */
function ejections(hc: KongHealthchecks, events: readonly Event[]): { at: number; until: number }[] {
  const h = outlierHealth(hc);
  assert.ok(h, 'outlier detection is on');
  const s = new EndpointState('e');
  const out: { at: number; until: number }[] = [];
  events.forEach((e, i) => {
    const now = 1_000_000 + i;
    const obs: Observation | null = e === 'tcp' ? 'tcp_failure' : e === 'timeout' ? 'timeout' : statusObservation(h, e);
    if (obs !== null && s.observe(obs, now, h, 0, 10)) out.push({ at: i, until: s.skippedUntil - now });
  });
  return out;
}

describe('upstream healthchecks, field by field', () => {
  it('passive healthchecks: type, healthy and unhealthy http_statuses, successes, http_failures, tcp_failures, timeouts and ejection times decide each ejection', () => {
    const passive = (p: NonNullable<KongHealthchecks['passive']>): KongHealthchecks => ({ passive: { ejection_base_time: '2s', ...p } });
    const rows: { name: string; hc: KongHealthchecks; events: Event[]; want: { at: number; until: number }[] }[] = [
      { name: 'unhealthy.http_statuses + http_failures', hc: passive({ unhealthy: { http_statuses: [502], http_failures: 2 } }), events: [500, 500, 502, 502], want: [{ at: 3, until: 2000 }] },
      { name: 'a status in neither list is ignored (does not clear the count)', hc: passive({ unhealthy: { http_statuses: [500], http_failures: 2 } }), events: [500, 404, 500], want: [{ at: 2, until: 2000 }] },
      { name: 'a healthy status clears the count', hc: passive({ unhealthy: { http_statuses: [500], http_failures: 2 } }), events: [500, 200, 500], want: [] },
      { name: 'healthy.http_statuses decides what is a success', hc: passive({ healthy: { http_statuses: [404] }, unhealthy: { http_statuses: [500], http_failures: 2 } }), events: [500, 200, 500, 404, 500], want: [{ at: 2, until: 2000 }] },
      { name: 'healthy.successes in a row clear the count', hc: passive({ healthy: { successes: 2 }, unhealthy: { http_statuses: [500], http_failures: 2 } }), events: [500, 200, 500, 500, 200, 200, 500], want: [{ at: 2, until: 2000 }] },
      { name: 'unhealthy.tcp_failures', hc: passive({ unhealthy: { tcp_failures: 2 } }), events: ['tcp', 500, 'tcp'], want: [{ at: 2, until: 2000 }] },
      { name: 'unhealthy.timeouts', hc: passive({ unhealthy: { timeouts: 3, tcp_failures: 0 } }), events: ['timeout', 'tcp', 'timeout', 'timeout'], want: [{ at: 3, until: 2000 }] },
      { name: 'type tcp: statuses never count', hc: passive({ type: 'tcp', unhealthy: { http_statuses: [500], http_failures: 1, tcp_failures: 1 } }), events: [500, 500, 'tcp'], want: [{ at: 2, until: 2000 }] },
      { name: 'ejection_base_time × ejections, capped at ejection_max_time', hc: passive({ ejection_max_time: '3s', unhealthy: { tcp_failures: 1 } }), events: ['tcp', ...Array<Event>(1999).fill(200), 'tcp'], want: [{ at: 0, until: 2000 }, { at: 2000, until: 3000 }] },
    ];
    for (const row of rows) assert.deepEqual(ejections(row.hc, row.events), row.want, row.name);
  });

  it('active healthchecks: healthy and unhealthy http_statuses, successes, http_failures, tcp_failures and timeouts count probes as Kong does', () => {
    const spec = (a: NonNullable<KongHealthchecks['active']>) => {
      const s = activeCheck({ active: { ...a, healthy: { interval: 1, ...a.healthy } } });
      assert.ok(s);
      return s;
    };
    const statusRows: [NonNullable<KongHealthchecks['active']>, number, ProbeResult][] = [
      [{}, 200, 'success'], [{}, 302, 'success'], [{}, 500, 'http_failure'], [{}, 204, 'ignored'],
      [{ healthy: { http_statuses: [204] } }, 204, 'success'], [{ healthy: { http_statuses: [204] } }, 200, 'ignored'],
      [{ unhealthy: { http_statuses: [418] } }, 418, 'http_failure'], [{ unhealthy: { http_statuses: [418] } }, 500, 'ignored'],
    ];
    for (const [a, status, want] of statusRows) assert.equal(probeStatusResult(spec(a), status), want, `${JSON.stringify(a)} ${status}`);
    const flips = (a: NonNullable<KongHealthchecks['active']>, start: boolean, results: ProbeResult[]): boolean[] => {
      const s = spec(a);
      const state = { activeHealthy: start };
      const counters = { successes: 0, http: 0, tcp: 0, timeouts: 0 };
      return results.map((r) => { applyProbeResult(s, counters, r, state); return state.activeHealthy; });
    };
    assert.deepEqual(flips({ healthy: { successes: 3 } }, false, ['success', 'success', 'ignored', 'success']), [false, false, false, true]);
    assert.deepEqual(flips({ healthy: { successes: 2 } }, false, ['success', 'http_failure', 'success', 'success']), [false, false, false, true]);
    assert.deepEqual(flips({ unhealthy: { http_failures: 2 } }, true, ['http_failure', 'success', 'http_failure', 'http_failure']), [true, true, true, false]);
    assert.deepEqual(flips({ unhealthy: { tcp_failures: 2 } }, true, ['tcp_failure', 'http_failure', 'tcp_failure']), [true, true, false]);
    assert.deepEqual(flips({ unhealthy: { timeouts: 1 } }, true, ['http_failure', 'tcp_failure', 'timeout']), [true, true, false]);
    assert.deepEqual(flips({ unhealthy: {} }, true, ['http_failure', 'tcp_failure', 'timeout']), [true, true, true], 'every threshold 0: nothing makes it unhealthy');
  });

  describe('active probes over real local sockets', function () {
    this.timeout(20_000);
    const closers: (() => void)[] = [];
    after(() => { for (const c of closers) c(); });
    async function server(handler: http.RequestListener): Promise<number> {
      const s = http.createServer(handler);
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      closers.push(() => { s.closeAllConnections(); s.close(); });
      return (s.address() as AddressInfo).port;
    }
    async function settles(a: NonNullable<KongHealthchecks['active']>, port: number, start: boolean, want: boolean): Promise<void> {
      const spec = activeCheck({ active: { ...a, healthy: { interval: 0.05, ...a.healthy }, unhealthy: { interval: 0.05, ...a.unhealthy } } })!;
      const state = new EndpointState('t');
      state.activeHealthy = start;
      const prober = new ActiveProber(spec, () => [{ key: 't', host: '127.0.0.1', port, state }]);
      prober.start();
      try {
        await waitFor(() => state.activeHealthy === want, { timeoutMs: 5000, intervalMs: 10, what: `activeHealthy ${String(want)} for ${JSON.stringify(a)}` });
      } finally { prober.stop(); }
    }

    it('active type, http_path, headers and timeout: each probe is what the fields say', async () => {
      // healthy only for GET /hc carrying x-probe: yes; everything else 500
      const picky = await server((req, res) => res.writeHead(req.url === '/hc' && req.headers['x-probe'] === 'yes' ? 200 : 500).end());
      await settles({ http_path: '/hc', headers: { 'x-probe': ['yes'] } }, picky, false, true);
      await settles({ http_path: '/hc', unhealthy: { http_failures: 1 } }, picky, true, false);
      await settles({ headers: { 'x-probe': ['yes'] }, unhealthy: { http_failures: 1 } }, picky, true, false);
      // type tcp only connects: the 500s do not matter; a closed port is a tcp failure
      await settles({ type: 'tcp' }, picky, false, true);
      const closed = net.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      await settles({ type: 'tcp', unhealthy: { tcp_failures: 1 } }, closedPort, true, false);
      // timeout: an answer later than it is a timeout (the answer comes at 800 ms, the timeout is 0.1 s)
      const slow = await server((_req, res) => { setTimeout(() => res.writeHead(200).end(), 800).unref(); });
      await settles({ timeout: 0.1, unhealthy: { timeouts: 1 } }, slow, true, false);
    });
  });
});
