// Request coalescing for cold keys: the first miss leads (goes upstream and fills the store),
// later misses for the same key wait for it and then look the store up again. A fill that fails
// (not cacheable, upstream error, truncated body) is never replayed: its waiters are told "not
// filled" and go upstream themselves. Every flight ends by itself after `maxWaitMs`, so a leader
// that never reports (a bug, a hung upstream beyond its own timeout) cannot hold anyone longer.

export interface Fill {
  /** ends the flight; `filled` says whether the store now holds the response. Idempotent. */
  release(filled: boolean): void;
}

interface Flight {
  readonly done: Promise<boolean>;
  readonly end: (filled: boolean) => void;
}

export class Coalescer {
  readonly #flights = new Map<string, Flight>();
  readonly maxWaitMs: number;

  constructor(maxWaitMs: number) {
    this.maxWaitMs = maxWaitMs;
  }

  /** Leadership of the fill of `key`, or null when another request already leads it. */
  lead(key: string): Fill | null {
    if (this.#flights.has(key)) return null;
    let resolve!: (filled: boolean) => void;
    const done = new Promise<boolean>((r) => { resolve = r; });
    let ended = false;
    const end = (filled: boolean) => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
      resolve(filled);
    };
    const flight: Flight = { done, end };
    const timer = setTimeout(() => end(false), this.maxWaitMs);
    timer.unref();
    this.#flights.set(key, flight);
    return { release: end };
  }

  /** The outcome of the fill of `key` in flight (true: filled), or null when none is. */
  wait(key: string): Promise<boolean> | null {
    return this.#flights.get(key)?.done ?? null;
  }

  /** fills in flight */
  get size(): number { return this.#flights.size; }
}
