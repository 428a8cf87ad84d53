// A level-triggered Consul watch: one blocking-query loop that stores the latest good result
// and signals. It never touches pools or routes; a pure function translates what it stores.
import type { ConsulClient } from '../../registrar/consul-client.js';
import { backoffMs, nextIndex } from '../../registrar/consul-index-policy.js';

export interface WatchStatus {
  readonly name: string;
  readonly index: number;
  /** ms since the last successful answer from Consul (Infinity before the first) */
  readonly ageMs: number;
  readonly errors: number;
  readonly lastError?: string;
}

export interface BlockingWatcherOptions {
  readonly name: string;
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly waitMs?: number;
  /**
   * Called when the result differs from the last one; never with a failed result. `afterError`
   * is true for the first answer after transport errors (Consul restarted, maybe with its state lost).
   */
  readonly onChange: (body: unknown, afterError: boolean) => void;
  readonly onError?: (err: unknown, attempt: number) => void;
  /** the shortest time between two calls (a token-bucket-like floor that stops hot loops) */
  readonly minIntervalMs?: number;
  /**
   * 'index': a new X-Consul-Index is a change even when the body is the same (/v1/catalog/services
   * lists names and tags only, yet its index moves on every registration). Default 'body'.
   */
  readonly changeOn?: 'body' | 'index';
}

/** longest pause between attempts while Consul does not answer */
export const RETRY_CAP_MS = 2000;

export class BlockingWatcher {
  readonly #client: ConsulClient;
  readonly #opts: BlockingWatcherOptions;
  readonly #abort = new AbortController();
  #index = 0;
  #lastOkAt = 0;
  /** when the blocking call now in flight was sent; 0 when none is */
  #inFlightSince = 0;
  #failing = false;
  #errors = 0;
  #lastError: string | undefined;
  #lastBody: string | undefined;
  #running: Promise<void> | undefined;
  #hasResult = false;
  #firstResult: Promise<void>;
  #resolveFirst!: () => void;

  constructor(client: ConsulClient, opts: BlockingWatcherOptions) {
    this.#client = client;
    this.#opts = opts;
    this.#firstResult = new Promise((r) => { this.#resolveFirst = r; });
  }

  get hasResult(): boolean { return this.#hasResult; }
  /** resolves once the first answer arrived (it may come much later if Consul is down) */
  get firstResult(): Promise<void> { return this.#firstResult; }

  /**
   * How old our view is: 0 while a blocking call is healthily waiting (Consul would have answered
   * on a change), else the time since the last good answer.
   */
  ageMs(now = Date.now()): number {
    if (this.#lastOkAt === 0) return Infinity;
    const waitMs = this.#opts.waitMs ?? 300_000;
    if (!this.#failing && this.#inFlightSince > 0 && now - this.#inFlightSince < waitMs + waitMs / 16 + 5000) return 0;
    return now - this.#lastOkAt;
  }

  status(now = Date.now()): WatchStatus {
    return {
      name: this.#opts.name, index: this.#index, ageMs: this.ageMs(now),
      errors: this.#errors, ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  start(): void {
    this.#running ??= this.#loop();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running;
  }

  async #loop(): Promise<void> {
    const waitMs = this.#opts.waitMs ?? 300_000;
    const minIntervalMs = this.#opts.minIntervalMs ?? 50;
    let attempt = 0;
    while (!this.#abort.signal.aborted) {
      const started = Date.now();
      this.#inFlightSince = started;
      try {
        const res = await this.#client.get<unknown>(this.#opts.path, this.#opts.query, { index: this.#index, waitMs, signal: this.#abort.signal });
        this.#index = nextIndex(this.#index, res.index);
        this.#lastOkAt = Date.now();
        this.#lastError = undefined;
        const afterError = this.#failing;
        this.#failing = false;
        attempt = 0;
        const text = this.#opts.changeOn === 'index' ? String(this.#index) : JSON.stringify(res.body);
        // a return is not proof of a change: compare
        if (text !== this.#lastBody) {
          this.#lastBody = text;
          this.#opts.onChange(res.body, afterError);
        }
        if (!this.#hasResult) { this.#hasResult = true; this.#resolveFirst(); }
      } catch (err) {
        if (this.#abort.signal.aborted) break;
        this.#inFlightSince = 0;
        this.#failing = true;
        this.#index = 0;
        this.#errors++;
        attempt++;
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.#opts.onError?.(err, attempt);
        // the local Consul agent is cheap to ask again: a short cap means a restarted agent is seen within ~2 s
        await sleep(backoffMs(attempt, 250, RETRY_CAP_MS), this.#abort.signal);
        continue;
      }
      const elapsed = Date.now() - started;
      if (elapsed < minIntervalMs) await sleep(minIntervalMs - elapsed, this.#abort.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}
