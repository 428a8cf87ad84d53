// Counts the requests still using one compiled config, so that what the config owns (plugin
// instances with their Redis connections, cache stores, timers) is closed only after the last
// request that started under it has finished, not while a reload's in-flight requests still use it.

/** the longest a retired config waits for its requests; a request that never ends must not pin it forever */
export const RETIRE_DEADLINE_MS = 10 * 60_000;

export class InFlight {
  #count = 0;
  #onIdle: (() => void) | null = null;
  #deadline: NodeJS.Timeout | null = null;

  get count(): number { return this.#count; }

  /** a request starts using the config */
  enter(): void { this.#count++; }

  /** that request has finished (its log phase ran) */
  leave(): void {
    if (--this.#count === 0 && this.#onIdle !== null) this.#fire();
  }

  /**
   * The config is replaced: `release` runs once, when nothing is in flight (at once if nothing
   * is), or at the deadline, whichever comes first.
   */
  retire(release: () => void, deadlineMs = RETIRE_DEADLINE_MS): void {
    this.#onIdle = release;
    if (this.#count === 0) return this.#fire();
    this.#deadline = setTimeout(() => this.#fire(), deadlineMs);
    this.#deadline.unref();
  }

  #fire(): void {
    const release = this.#onIdle;
    this.#onIdle = null;
    if (this.#deadline !== null) { clearTimeout(this.#deadline); this.#deadline = null; }
    release?.();
  }
}
