// A retry budget as Finagle and Linkerd keep it: every request deposits `ratio` of a retry, every
// retry withdraws one, and `minPerSecond` retries per second are always allowed, all over a
// sliding window of `windowSeconds`. Retries can add at most `ratio` (20 %) of the load plus a
// small constant, so a failing pool cannot turn into a retry storm; unlike a cap on retries in
// flight, a burst (every client stalled on a host that just died) is still retried in full.

export class RetryBudget {
  readonly #deposits: Uint32Array;
  readonly #withdrawals: Uint32Array;
  #deposited = 0;
  #withdrawn = 0;
  /** the current one-second bucket, in whole seconds since the clock's origin */
  #second = 0;

  constructor(readonly ratio = 0.2, readonly minPerSecond = 10, readonly windowSeconds = 10) {
    this.#deposits = new Uint32Array(windowSeconds);
    this.#withdrawals = new Uint32Array(windowSeconds);
  }

  /** one request sent to the pool (a retry is not a request) */
  deposit(nowMs: number): void {
    this.#advance(nowMs);
    this.#deposits[this.#second % this.windowSeconds]!++;
    this.#deposited++;
  }

  /** Takes one retry from the budget when it allows. */
  tryWithdraw(nowMs: number): boolean {
    this.#advance(nowMs);
    if (this.balance() < 1) return false;
    this.#withdrawals[this.#second % this.windowSeconds]!++;
    this.#withdrawn++;
    return true;
  }

  /** retries left in the window */
  balance(): number {
    return this.#deposited * this.ratio + this.minPerSecond * this.windowSeconds - this.#withdrawn;
  }

  #advance(nowMs: number): void {
    const second = Math.floor(nowMs / 1000);
    if (second <= this.#second) return;
    const expire = Math.min(second - this.#second, this.windowSeconds);
    for (let s = 1; s <= expire; s++) {
      const i = (this.#second + s) % this.windowSeconds;
      this.#deposited -= this.#deposits[i]!;
      this.#withdrawn -= this.#withdrawals[i]!;
      this.#deposits[i] = 0;
      this.#withdrawals[i] = 0;
    }
    this.#second = second;
  }
}
