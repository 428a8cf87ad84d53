// Runtime state of one endpoint, kept apart from config so it survives pool and table swaps.
// Two passive-health policies use it:
//  - the default, in nginx's terms: max_fails failures within fail_timeout skip the endpoint for
//    fail_timeout; after that it is tried again by itself (Caddy's hosts.go does the same);
//  - outlier detection (Kong's healthchecks.passive vocabulary, Envoy's behaviour): consecutive
//    failures of a kind eject the endpoint for base × ejections (capped), at most
//    max_ejection_percent of the pool at once; it comes back by itself.

export interface FailWindowHealth {
  readonly kind?: 'window';
  readonly maxFails: number;
  readonly failTimeoutMs: number;
}

export interface OutlierHealth {
  readonly kind: 'outlier';
  /** statuses that count as HTTP failures */
  readonly unhealthyStatuses: ReadonlySet<number>;
  /** statuses that count as successes; one in neither set is ignored (Kong) */
  readonly healthyStatuses: ReadonlySet<number>;
  /** passive.type tcp: only connection failures and timeouts count, HTTP statuses never do */
  readonly tcpOnly: boolean;
  /** consecutive failures of each kind that eject (0 = that kind is ignored) */
  readonly httpFailures: number;
  readonly tcpFailures: number;
  readonly timeouts: number;
  /** consecutive successes that clear the failure counters (0 = any success clears them) */
  readonly successes: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectionPercent: number;
  /** below this percentage of available endpoints, all are used (Envoy's panic mode); 0 = off */
  readonly panicThresholdPercent: number;
}

export type PassiveHealth = FailWindowHealth | OutlierHealth;

/** What one attempt told us about the endpoint. */
export type Observation = 'success' | 'http_failure' | 'tcp_failure' | 'timeout';

/** An upstream answer's status as passive health sees it; null: neither a success nor a failure (Kong ignores it). */
export function statusObservation(h: PassiveHealth, status: number): Observation | null {
  if (h.kind !== 'outlier') return status >= 500 ? 'http_failure' : 'success';
  if (h.tcpOnly) return 'success';
  if (h.unhealthyStatuses.has(status)) return 'http_failure';
  return h.healthyStatuses.has(status) ? 'success' : null;
}

export class EndpointState {
  inflight = 0;
  ejections = 0;
  skippedUntil = 0;
  /** false while active health checks say so (static targets with healthchecks.active) */
  activeHealthy = true;
  /** the `latency` balancer's response-time EWMA and when it was last fed (Date.now() ms; 0 = never) */
  latencyEwmaMs = 0;
  latencyAt = 0;
  #fails = 0;
  #windowStart = 0;
  #consecutive = { http_failure: 0, tcp_failure: 0, timeout: 0 };
  #successes = 0;

  constructor(readonly key: string) {}

  isAvailable(now: number): boolean {
    return this.skippedUntil <= now && this.activeHealthy;
  }

  /** Returns true when this failure ejects the endpoint (the fail-window policy). */
  recordFailure(now: number, health: FailWindowHealth): boolean {
    if (health.maxFails <= 0) return false;
    if (now - this.#windowStart > health.failTimeoutMs) {
      this.#windowStart = now;
      this.#fails = 0;
    }
    this.#fails++;
    if (this.#fails >= health.maxFails && this.skippedUntil <= now) {
      this.skippedUntil = now + health.failTimeoutMs;
      this.ejections++;
      this.#fails = 0;
      return true;
    }
    return false;
  }

  /**
   * Outlier detection: returns true when this observation ejects the endpoint. `ejectedNow`
   * and `poolSize` enforce max_ejection_percent (at least one endpoint may always be ejected).
   */
  observe(obs: Observation, now: number, h: OutlierHealth, ejectedNow: number, poolSize: number): boolean {
    if (obs === 'success') {
      if (++this.#successes >= Math.max(1, h.successes)) {
        this.#consecutive = { http_failure: 0, tcp_failure: 0, timeout: 0 };
      }
      return false;
    }
    this.#successes = 0;
    const count = ++this.#consecutive[obs];
    const limit = obs === 'http_failure' ? h.httpFailures : obs === 'tcp_failure' ? h.tcpFailures : h.timeouts;
    if (limit <= 0 || count < limit || this.skippedUntil > now) return false;
    const allowed = Math.max(1, Math.floor((poolSize * h.maxEjectionPercent) / 100));
    if (ejectedNow >= allowed) return false;
    this.ejections++;
    this.skippedUntil = now + Math.min(h.maxEjectionMs, h.baseEjectionMs * this.ejections);
    this.#consecutive = { http_failure: 0, tcp_failure: 0, timeout: 0 };
    return true;
  }

  get recentFailures(): number {
    return this.#fails + this.#consecutive.http_failure + this.#consecutive.tcp_failure + this.#consecutive.timeout;
  }
}
