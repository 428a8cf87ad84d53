// In-process counters (policy local, and the fallback when Redis fails). Synchronous, so the
// check and the increment cannot interleave with another request. Memory stays bounded: expired
// windows are swept at most once per sweep interval, and past maxEntries the oldest counters
// are dropped (a flood of distinct identifiers then forgets the oldest ones, not the process).
import type { CounterRequest, CounterResult, CounterStore } from './counters.js';
import { slidingEstimate } from './windows.js';

interface Counter {
  count: number;
  readonly expiresAtMs: number;
}

export interface LocalStoreOptions {
  readonly maxEntries?: number;
  readonly sweepIntervalMs?: number;
}

export class LocalCounterStore implements CounterStore {
  readonly maxEntries: number;
  readonly sweepIntervalMs: number;
  readonly #counters = new Map<string, Counter>();
  #nextSweepMs = 0;

  constructor(opts: LocalStoreOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.sweepIntervalMs = opts.sweepIntervalMs ?? 1000;
  }

  get size(): number {
    return this.#counters.size;
  }

  /** the live count of a key (0 when absent or expired) */
  count(key: string, nowMs: number): number {
    const c = this.#counters.get(key);
    return c !== undefined && c.expiresAtMs > nowMs ? c.count : 0;
  }

  hit(req: CounterRequest, nowMs: number): CounterResult {
    if (nowMs >= this.#nextSweepMs) this.sweep(nowMs);
    const n = req.keys.length;
    const counts: number[] = new Array(n);
    const previous: number[] = new Array(n);
    let allowed = true;
    for (let i = 0; i < n; i++) {
      counts[i] = this.count(req.keys[i]!, nowMs);
      previous[i] = req.previousKeys !== null ? this.count(req.previousKeys[i]!, nowMs) : 0;
      if (slidingEstimate(counts[i]!, previous[i]!, req.weights[i]!) >= req.limits[i]!) allowed = false;
    }
    if (allowed) {
      for (let i = 0; i < n; i++) counts[i] = this.#increment(req.keys[i]!, req.expireAtMs[i]!, nowMs);
      this.#enforceCap();
    }
    return { allowed, counts, previous };
  }

  #increment(key: string, expiresAtMs: number, nowMs: number): number {
    const c = this.#counters.get(key);
    if (c !== undefined && c.expiresAtMs > nowMs) return ++c.count;
    // a new (or expired) counter goes to the end of the map, which keeps it roughly oldest-first
    this.#counters.delete(key);
    this.#counters.set(key, { count: 1, expiresAtMs });
    return 1;
  }

  /** Drops every expired counter; returns how many. */
  sweep(nowMs: number): number {
    this.#nextSweepMs = nowMs + this.sweepIntervalMs;
    let removed = 0;
    for (const [key, c] of this.#counters) {
      if (c.expiresAtMs <= nowMs) { this.#counters.delete(key); removed++; }
    }
    return removed;
  }

  #enforceCap(): void {
    let excess = this.#counters.size - this.maxEntries;
    if (excess <= 0) return;
    for (const key of this.#counters.keys()) {
      this.#counters.delete(key);
      if (--excess <= 0) break;
    }
  }

  clear(): void {
    this.#counters.clear();
  }
}

/** The process's counters, shared by every instance so they survive config reloads. */
export const sharedLocalCounters = new LocalCounterStore();

/**
 * Where `policy: local` counts for the whole agent: this process's store, or with workers the
 * primary's, asked over IPC (agent/workers/ipc-shared-state.ts), so a limit is not N× the limit.
 */
export interface LocalCounters {
  hit(req: CounterRequest, nowMs: number): CounterResult | Promise<CounterResult>;
  /** the live count of a key (explain reads it; over IPC the primary is asked) */
  readonly count?: (key: string, nowMs: number) => number | Promise<number>;
}

let agentCounters: LocalCounters = sharedLocalCounters;

/** the agent's local counters; a worker sets them once at start, before any config is compiled */
export function localCounters(): LocalCounters { return agentCounters; }
export function useLocalCounters(c: LocalCounters): void { agentCounters = c; }
