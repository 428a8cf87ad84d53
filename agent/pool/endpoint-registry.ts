// Shared runtime state for every endpoint this agent talks to: one EndpointState per
// endpoint key and one undici Pool (connection pool) per address. Pools and tables are rebuilt
// on every change; this registry is what carries over.
import { Pool, type buildConnector } from 'undici';
import { EndpointState } from './endpoint-state.js';
import { RetryBudget } from './retry-budget.js';

export interface ConnectionOptions {
  readonly connectTimeoutMs: number;
  readonly connections?: number;
  /** origin scheme: https for mesh hops and for services with protocol https */
  readonly protocol?: 'http' | 'https';
  /** a custom connector (mesh mTLS); its identity expectations are part of the pool key */
  readonly connector?: { readonly key: string; readonly connect: buildConnector.connector };
}

/** agent.upstream_keepalive_timeout's default, in ms */
export const UPSTREAM_KEEPALIVE_TIMEOUT_MS = 300_000;

export class EndpointRegistry {
  /** how long an idle upstream connection stays open (agent.upstream_keepalive_timeout) */
  readonly #keepAliveTimeoutMs: number;

  constructor(keepAliveTimeoutMs: number = UPSTREAM_KEEPALIVE_TIMEOUT_MS) {
    this.#keepAliveTimeoutMs = keepAliveTimeoutMs;
  }

  readonly #states = new Map<string, EndpointState>();
  readonly #budgets = new Map<string, RetryBudget>();

  /** the retry budget of a pool, by name (it outlives pool swaps) */
  budget(pool: string): RetryBudget {
    let b = this.#budgets.get(pool);
    if (b === undefined) { b = new RetryBudget(); this.#budgets.set(pool, b); }
    return b;
  }
  readonly #dispatchers = new Map<string, Pool>();

  state(key: string): EndpointState {
    let s = this.#states.get(key);
    if (s === undefined) {
      s = new EndpointState(key);
      this.#states.set(key, s);
    }
    return s;
  }

  dispatcher(address: string, opts: ConnectionOptions): Pool {
    const key = EndpointRegistry.dispatcherKey(address, opts);
    let d = this.#dispatchers.get(key);
    if (d === undefined) {
      d = new Pool(`${opts.protocol ?? 'http'}://${address}`, {
        connections: opts.connections ?? 256,
        pipelining: 1,
        keepAliveTimeout: this.#keepAliveTimeoutMs,
        // a server's Keep-Alive: timeout= hint can shorten it, never lengthen it
        keepAliveMaxTimeout: this.#keepAliveTimeoutMs,
        connect: opts.connector ? opts.connector.connect : { timeout: opts.connectTimeoutMs },
      });
      this.#dispatchers.set(key, d);
    }
    return d;
  }

  static dispatcherKey(address: string, opts: ConnectionOptions): string {
    if (opts.connector) return `${address}|${opts.connector.key}`;
    // a TLS origin's connections are not a plain one's: own pool (undici verifies the certificate, SNI from a host name)
    return opts.protocol === 'https' ? `https://${address}` : address;
  }

  /**
   * Forgets endpoints no longer in any pool. Their connection pools are closed gracefully:
   * in-flight requests finish first (close() waits for them).
   */
  retain(keys: ReadonlySet<string>, dispatcherKeys: ReadonlySet<string>): void {
    for (const [key, s] of this.#states) if (!keys.has(key) && s.inflight === 0) this.#states.delete(key);
    for (const [key, d] of this.#dispatchers) {
      if (!dispatcherKeys.has(key)) {
        this.#dispatchers.delete(key);
        d.close().catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    const all = [...this.#dispatchers.values()];
    this.#dispatchers.clear();
    await Promise.allSettled(all.map((d) => d.close()));
  }
}
