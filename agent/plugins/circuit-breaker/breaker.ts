// A circuit breaker per service: closed → (threshold failures within window) → open →
// (timeout) → half-open, where a few probes decide: enough successes close it, a failure
// re-opens it. Pure state machine with an injected clock; shared by every route of a service.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  readonly threshold: number;
  readonly windowMs: number;
  readonly openMs: number;
  readonly halfOpenProbes: number;
  readonly successThreshold: number;
}

export type Admission = { readonly allowed: true; readonly probe: boolean } | { readonly allowed: false; readonly retryAfterS: number };

export class CircuitBreaker {
  state: BreakerState = 'closed';
  #failures: number[] = [];
  #openedAt = 0;
  #probesInFlight = 0;
  #probeSuccesses = 0;
  onChange: ((s: BreakerState) => void) | null = null;

  constructor(readonly settings: BreakerSettings) {}

  admit(now: number): Admission {
    if (this.state === 'open') {
      const left = this.#openedAt + this.settings.openMs - now;
      if (left > 0) return { allowed: false, retryAfterS: Math.max(1, Math.ceil(left / 1000)) };
      this.#set('half-open');
      this.#probesInFlight = 0;
      this.#probeSuccesses = 0;
    }
    if (this.state === 'half-open') {
      if (this.#probesInFlight >= this.settings.halfOpenProbes) return { allowed: false, retryAfterS: 1 };
      this.#probesInFlight++;
      return { allowed: true, probe: true };
    }
    return { allowed: true, probe: false };
  }

  record(success: boolean, probe: boolean, now: number): void {
    if (probe) {
      this.#probesInFlight = Math.max(0, this.#probesInFlight - 1);
      if (this.state !== 'half-open') return;
      if (!success) { this.#open(now); return; }
      if (++this.#probeSuccesses >= this.settings.successThreshold) {
        this.#failures = [];
        this.#set('closed');
      }
      return;
    }
    if (success || this.state !== 'closed') return;
    const since = now - this.settings.windowMs;
    this.#failures = this.#failures.filter((t) => t > since);
    this.#failures.push(now);
    if (this.#failures.length >= this.settings.threshold) this.#open(now);
  }

  /** Takes the state another process's breaker of the same service reached. */
  follow(state: 'open' | 'closed', now: number): void {
    if (state === this.state) return;
    if (state === 'open') { this.#open(now); return; }
    this.#failures = [];
    this.#probesInFlight = 0;
    this.#set('closed');
  }

  #open(now: number): void {
    this.#openedAt = now;
    this.#failures = [];
    this.#set('open');
  }

  #set(s: BreakerState): void {
    if (this.state === s) return;
    this.state = s;
    this.onChange?.(s);
  }
}
