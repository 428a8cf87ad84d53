// Kong's active health checks for static targets: each target is probed on its own timer
// (healthy.interval while healthy, unhealthy.interval while not); consecutive results flip its
// `activeHealthy` flag. Consul pools need none: Consul's checks already decide membership.
import { Agent, request } from 'undici';
import net from 'node:net';
import type { ActiveCheckSpec } from '../table/service-spec.js';
import type { EndpointState } from './endpoint-state.js';

export interface ProbeTarget {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly state: EndpointState;
}

/** 'ignored': a status in neither healthy.http_statuses nor unhealthy.http_statuses (Kong counts it as neither) */
export type ProbeResult = 'success' | 'http_failure' | 'tcp_failure' | 'timeout' | 'ignored';

/** consecutive results of one target's probes */
export interface ProbeCounters { successes: number; http: number; tcp: number; timeouts: number }
interface Tracker extends ProbeCounters { timer: NodeJS.Timeout | undefined }

/** Kong's active-check counting: `successes` in a row make a target healthy, any failure threshold reached makes it unhealthy. */
export function applyProbeResult(s: ActiveCheckSpec, t: ProbeCounters, r: ProbeResult, state: { activeHealthy: boolean }): void {
  if (r === 'ignored') return;
  if (r === 'success') {
    t.http = t.tcp = t.timeouts = 0;
    if (++t.successes >= s.successes) state.activeHealthy = true;
    return;
  }
  t.successes = 0;
  if (r === 'http_failure') t.http++;
  else if (r === 'tcp_failure') t.tcp++;
  else t.timeouts++;
  if ((s.httpFailures > 0 && t.http >= s.httpFailures) || (s.tcpFailures > 0 && t.tcp >= s.tcpFailures) || (s.timeouts > 0 && t.timeouts >= s.timeouts)) {
    state.activeHealthy = false;
  }
}

/** a probe's HTTP status → its result (Kong: a status in neither list is ignored) */
export function probeStatusResult(s: ActiveCheckSpec, status: number): ProbeResult {
  if (s.healthyStatuses.has(status)) return 'success';
  return s.unhealthyStatuses.has(status) ? 'http_failure' : 'ignored';
}

export class ActiveProber {
  readonly #spec: ActiveCheckSpec;
  readonly #targets: () => readonly ProbeTarget[];
  readonly #trackers = new Map<string, Tracker>();
  readonly #agent = new Agent({ connections: 4, keepAliveTimeout: 1000 });
  #stopped = false;
  #sweep: NodeJS.Timeout | undefined;

  constructor(spec: ActiveCheckSpec, targets: () => readonly ProbeTarget[]) {
    this.#spec = spec;
    this.#targets = targets;
  }

  start(): void {
    const sync = () => {
      const current = this.#targets();
      const keys = new Set(current.map((t) => t.key));
      for (const [key, t] of this.#trackers) if (!keys.has(key)) { clearTimeout(t.timer); this.#trackers.delete(key); }
      for (const target of current) if (!this.#trackers.has(target.key)) this.#schedule(target, 0);
    };
    sync();
    this.#sweep = setInterval(sync, 1000);
    this.#sweep.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#sweep);
    for (const t of this.#trackers.values()) clearTimeout(t.timer);
    this.#trackers.clear();
    void this.#agent.close();
  }

  #schedule(target: ProbeTarget, delayMs: number): void {
    let t = this.#trackers.get(target.key);
    if (t === undefined) { t = { successes: 0, http: 0, tcp: 0, timeouts: 0, timer: undefined }; this.#trackers.set(target.key, t); }
    const tracker = t;
    tracker.timer = setTimeout(async () => {
      if (this.#stopped) return;
      applyProbeResult(this.#spec, tracker, await this.#probe(target), target.state);
      const interval = target.state.activeHealthy ? this.#spec.healthyIntervalMs : this.#spec.unhealthyIntervalMs;
      if (!this.#stopped && this.#trackers.get(target.key) === tracker) this.#schedule(target, interval > 0 ? interval : 1000);
    }, delayMs);
    tracker.timer.unref();
  }

  async #probe(target: ProbeTarget): Promise<ProbeResult> {
    const s = this.#spec;
    if (s.type === 'tcp') return tcpProbe(target.host, target.port, s.timeoutMs);
    // undici's own timeouts tick coarsely (about a second); the signal holds the probe to `timeout`
    const signal = AbortSignal.timeout(s.timeoutMs);
    try {
      const host = target.host.includes(':') ? `[${target.host}]` : target.host;
      const res = await request(`${s.type}://${host}:${target.port}${s.path}`, {
        dispatcher: this.#agent, headers: s.headers, headersTimeout: s.timeoutMs, bodyTimeout: s.timeoutMs, signal,
      });
      await res.body.dump();
      return probeStatusResult(s, res.statusCode);
    } catch (err) {
      if (signal.aborted) return 'timeout';
      const code = (err as { code?: string; name?: string }).code ?? (err as { name?: string }).name;
      return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' ? 'timeout' : 'tcp_failure';
    }
  }
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: timeoutMs });
    s.once('connect', () => { s.destroy(); resolve('success'); });
    s.once('timeout', () => { s.destroy(); resolve('timeout'); });
    s.once('error', () => resolve('tcp_failure'));
  });
}
