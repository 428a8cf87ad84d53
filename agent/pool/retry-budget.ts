// Envoy's retry budget: retries in flight may be at most a share of the active requests of a
// pool (with a floor), so a failing upstream cannot turn into a retry storm.

export class RetryBudget {
  active = 0;
  retrying = 0;

  constructor(readonly ratio = 0.2, readonly minConcurrent = 3) {}

  /** Takes one retry slot when the budget allows; the caller gives it back with release(). */
  tryAcquire(): boolean {
    if (this.retrying >= Math.max(this.minConcurrent, Math.floor(this.active * this.ratio))) return false;
    this.retrying++;
    return true;
  }

  release(): void {
    if (this.retrying > 0) this.retrying--;
  }
}
