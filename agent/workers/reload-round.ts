// One two-phase reload across workers, as pure state: every worker that was serving when the
// round began must compile the new config (prepare); only when all did is it committed, and any
// failure, exit or timeout aborts it for all, so they keep the old config together.

export type RoundOutcome = { readonly kind: 'pending' } | { readonly kind: 'commit' } | { readonly kind: 'abort'; readonly errors: readonly string[] };

export class ReloadRound {
  readonly #waiting: Set<number>;
  readonly #errors: string[] = [];

  constructor(readonly gen: number, readonly workers: readonly number[]) {
    this.#waiting = new Set(workers);
    if (workers.length === 0) this.#errors.push('no worker is running');
  }

  /** worker `index` compiled the config (error null) or could not */
  prepared(index: number, error: string | null): void {
    if (!this.#waiting.delete(index)) return;
    if (error !== null) this.#errors.push(`worker ${index}: ${error}`);
  }

  /** worker `index` exited before it answered */
  gone(index: number): void {
    if (this.#waiting.delete(index)) this.#errors.push(`worker ${index} exited during the reload`);
  }

  timedOut(): void {
    for (const i of this.#waiting) this.#errors.push(`worker ${i} did not answer`);
    this.#waiting.clear();
  }

  get outcome(): RoundOutcome {
    // the first failure decides: the abort reaches every worker after its prepare (IPC keeps order)
    if (this.#errors.length > 0) return { kind: 'abort', errors: [...this.#errors] };
    if (this.#waiting.size > 0) return { kind: 'pending' };
    return { kind: 'commit' };
  }
}

/** After a commit: the workers (pids) that have not yet said they swapped. */
export class CommitWait {
  readonly #waiting: Set<number>;
  #wake: (() => void) | null = null;

  constructor(readonly gen: number, workers: readonly number[]) {
    this.#waiting = new Set(workers);
  }

  /** worker `pid` swapped to `gen` (or exited: it will not) */
  answered(pid: number, gen: number): void {
    if (gen !== this.gen) return;
    this.#waiting.delete(pid);
    if (this.#waiting.size === 0) this.#wake?.();
  }

  /** resolves with the pids still not confirmed, when none are left or after timeoutMs */
  async done(timeoutMs: number): Promise<number[]> {
    if (this.#waiting.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#wake = () => { clearTimeout(timer); resolve(); };
      });
    }
    return [...this.#waiting];
  }
}
