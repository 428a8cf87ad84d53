// Guards a pool against a sudden collapse in Consul's answer (N → 0, or more than a fraction of the
// members gone at once): a Consul that lost its state, a bad deploy of checks or a partition look like
// that, and draining every instance at once turns a Consul problem into an outage. The last-known-good
// members that vanished are kept for a bounded time unless they are failing locally too (passive or
// active health); a gradual shrink, or one still there when the hold ends, is applied. Pure: the
// caller supplies time and local health, and logs/counts the decisions.

export interface PoolGuardPolicy {
  /** a shrink that removes more than this share of the members at once is a collapse (0..1) */
  readonly maxShrinkFraction: number;
  /** how long vanished members are kept at most */
  readonly holdMs: number;
}

export interface GuardDecision<T> {
  /** the members to serve with */
  readonly members: readonly T[];
  /** members Consul no longer lists but that are kept */
  readonly kept: number;
  /** when to re-run decide() with the latest answer (end of the hold); null when not holding */
  readonly recheckAt: number | null;
}

export class PoolGuard<T extends { readonly key: string }> {
  #policy: PoolGuardPolicy;
  #lastGood: readonly T[] = [];
  #holdSince: number | null = null;

  constructor(policy: PoolGuardPolicy) {
    this.#policy = policy;
  }

  /** a reload's policy: the last-known-good members and a hold in progress carry over */
  setPolicy(policy: PoolGuardPolicy): void {
    this.#policy = policy;
  }

  get holding(): boolean {
    return this.#holdSince !== null;
  }

  decide(answer: readonly T[], now: number, failingLocally: (key: string) => boolean): GuardDecision<T> {
    const listed = new Set(answer.map((m) => m.key));
    const vanished = this.#lastGood.filter((m) => !listed.has(m.key));
    const collapse = this.#lastGood.length > 0 && vanished.length / this.#lastGood.length > this.#policy.maxShrinkFraction;
    if (!collapse) return this.#accept(answer);
    this.#holdSince ??= now;
    if (now - this.#holdSince >= this.#policy.holdMs) return this.#accept(answer);
    const keep = vanished.filter((m) => !failingLocally(m.key));
    return { members: [...answer, ...keep], kept: keep.length, recheckAt: this.#holdSince + this.#policy.holdMs };
  }

  #accept(answer: readonly T[]): GuardDecision<T> {
    this.#lastGood = answer;
    this.#holdSince = null;
    return { members: answer, kept: 0, recheckAt: null };
  }
}
