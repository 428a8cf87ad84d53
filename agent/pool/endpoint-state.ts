// Runtime state of one endpoint, kept apart from config so it survives pool and table swaps.
// Passive health in nginx's terms: max_fails failures within fail_timeout skip the endpoint for
// fail_timeout; after that it is tried again by itself (Caddy's hosts.go does the same).

export interface PassiveHealth {
  readonly maxFails: number;
  readonly failTimeoutMs: number;
}

export class EndpointState {
  inflight = 0;
  ejections = 0;
  skippedUntil = 0;
  #fails = 0;
  #windowStart = 0;

  constructor(readonly key: string) {}

  isAvailable(now: number): boolean {
    return this.skippedUntil <= now;
  }

  /** Returns true when this failure ejects the endpoint. */
  recordFailure(now: number, health: PassiveHealth): boolean {
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

  get recentFailures(): number {
    return this.#fails;
  }
}
