// Consul intentions for inbound mesh requests: (source identity → target service) decided by
// /v1/agent/connect/authorize, cached, and flushed whenever Consul's intentions change (a
// blocking watch), so a new deny takes effect within moments. A request waits only on a miss.
import type { Logger } from 'pino';
import { BlockingWatcher } from '../discovery/blocking-watcher.js';
import type { ConsulClient } from '../../registrar/consul-client.js';
import { authorize, CONNECT_PATHS } from './consul-connect-api.js';

export interface Decision {
  readonly allowed: boolean;
  readonly reason: string;
  /** Consul could not be asked and nothing was known */
  readonly unavailable?: boolean;
}

interface Cached { readonly decision: Decision; readonly at: number }

export class IntentionAuthorizer {
  readonly #client: ConsulClient;
  readonly #log: Logger;
  readonly #ttlMs: number;
  readonly #watcher: BlockingWatcher;
  #cache = new Map<string, Cached>();
  readonly #pending = new Map<string, Promise<Decision>>();
  #generation = 0;

  constructor(client: ConsulClient, log: Logger, ttlMs = 30_000) {
    this.#client = client;
    this.#log = log;
    this.#ttlMs = ttlMs;
    this.#watcher = new BlockingWatcher(client, {
      name: 'intentions', path: CONNECT_PATHS.intentions,
      onChange: () => { this.#generation++; this.#cache = new Map(); this.#log.info('intentions changed; authorization cache flushed'); },
      onError: (err, attempt) => { if (attempt === 1 || attempt % 10 === 0) this.#log.warn({ err: (err as Error).message }, 'intentions watch failed'); },
    });
  }

  start(): void { this.#watcher.start(); }
  async stop(): Promise<void> { await this.#watcher.stop(); }

  /** A cached decision, or a promise of one. */
  decide(sourceUri: string, serial: string, target: string, now = Date.now()): Decision | Promise<Decision> {
    const key = `${sourceUri}\u0000${target}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined && now - hit.at < this.#ttlMs) return hit.decision;
    let p = this.#pending.get(key);
    if (p === undefined) {
      p = this.#ask(key, sourceUri, serial, target, hit);
      this.#pending.set(key, p);
    }
    return p;
  }

  async #ask(key: string, sourceUri: string, serial: string, target: string, stale: Cached | undefined): Promise<Decision> {
    const generation = this.#generation;
    try {
      const r = await authorize(this.#client, target, sourceUri, serial);
      const decision: Decision = { allowed: r.Authorized === true, reason: r.Reason ?? '' };
      // a flush that happened while we asked may have made this answer stale: don't cache it
      if (generation === this.#generation) this.#cache.set(key, { decision, at: Date.now() });
      return decision;
    } catch (err) {
      if (stale) return stale.decision;
      this.#log.warn({ err: (err as Error).message, target }, 'intention check failed and nothing is cached');
      return { allowed: false, reason: 'authorization unavailable', unavailable: true };
    } finally {
      this.#pending.delete(key);
    }
  }
}
