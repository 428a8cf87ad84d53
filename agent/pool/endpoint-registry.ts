// Shared runtime state for every endpoint this agent talks to: one EndpointState per
// endpoint key and one undici Pool (connection pool) per address. Pools and tables are rebuilt
// on every change; this registry is what carries over.
import { Pool } from 'undici';
import { EndpointState } from './endpoint-state.js';

export interface ConnectionOptions {
  readonly connectTimeoutMs: number;
  readonly keepAliveTimeoutMs?: number;
  readonly connections?: number;
  /** origin scheme; https is for later mesh hops */
  readonly protocol?: 'http' | 'https';
}

export class EndpointRegistry {
  readonly #states = new Map<string, EndpointState>();
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
    let d = this.#dispatchers.get(address);
    if (d === undefined) {
      d = new Pool(`${opts.protocol ?? 'http'}://${address}`, {
        connections: opts.connections ?? 256,
        pipelining: 1,
        keepAliveTimeout: opts.keepAliveTimeoutMs ?? 60_000,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: opts.connectTimeoutMs },
      });
      this.#dispatchers.set(address, d);
    }
    return d;
  }

  /**
   * Forgets endpoints no longer in any pool. Their connection pools are closed gracefully:
   * in-flight requests finish first (close() waits for them).
   */
  retain(keys: ReadonlySet<string>, addresses: ReadonlySet<string>): void {
    for (const [key, s] of this.#states) if (!keys.has(key) && s.inflight === 0) this.#states.delete(key);
    for (const [address, d] of this.#dispatchers) {
      if (!addresses.has(address)) {
        this.#dispatchers.delete(address);
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
