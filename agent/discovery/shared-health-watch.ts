// Many watched services behind two blocking queries instead of one each. One query on
// /v1/health/state/any, filtered to the checks that are not passing (small while all is well),
// wakes on any check change in the datacenter; a pure diff of those checks (health-fingerprint.ts)
// names the services that changed, and only those are fetched again
// (/v1/health/{service,connect}/<name>?passing, a plain read). One query on /v1/catalog/services
// wakes on any registration change (new instance, new address or port, gone instance); then every
// watched service is fetched again. Why not a blocking query per service: each holds a connection to the
// Consul agent for up to `wait`, and Consul allows 200 per client address by default
// (limits.http_max_conns_per_client), so an edge with 1,000 services cannot hold them all.
// The two triggers use ?stale (any server may answer; a lagging one only wakes us later); the
// fetches use the default consistency, not ?cached, since the agent's cache may still hold the
// answer from before the change that woke us.
import type { Logger } from 'pino';
import type { ConsulClient } from '../../registrar/consul-client.js';
import { backoffMs } from '../../registrar/consul-index-policy.js';
import { BlockingWatcher, type WatchStatus } from './blocking-watcher.js';
import { EMPTY_FINGERPRINT, healthChanges, fingerprintChecks, type ConsulCheck, type HealthFingerprint } from './health-fingerprint.js';

/** a watched service: fetched on start and whenever the triggers say it may have changed */
export interface SharedMember {
  readonly hasResult: boolean;
  readonly firstResult: Promise<void>;
  start(): void;
  stop(): Promise<void>;
  status(now?: number): WatchStatus;
}

interface Member extends SharedMember {
  readonly name: string;
  readonly path: string;
  readonly mesh: boolean;
  readonly service: string;
  /** proxy service names last seen in a /health/connect answer (their checks decide the pool) */
  proxies: Set<string>;
  /** nodes its instances were seen on (a node check change refetches it) */
  readonly nodes: Set<string>;
  lastText: string | undefined;
  attempt: number;
  errors: number;
  lastError: string | undefined;
  lastOkAt: number;
  active: boolean;
  deliver(body: unknown, afterError: boolean): void;
  onError(err: unknown, attempt: number): void;
  resolveFirst(): void;
}

const FETCH_CONCURRENCY = 8;

export class SharedHealthWatch {
  readonly #client: ConsulClient;
  readonly #log: Logger;
  readonly #members = new Map<string, Member>();
  readonly #queued = new Set<Member>();
  readonly #inFlight = new Set<Member>();
  /** fetched again once the fetch in flight ends (a trigger came while it ran) */
  readonly #again = new Set<Member>();
  readonly #checks: BlockingWatcher;
  readonly #catalog: BlockingWatcher;
  #fingerprint: HealthFingerprint = EMPTY_FINGERPRINT;
  /** fetched because Consul came back from an outage: their next answer is flagged afterError */
  readonly #recovering = new Set<Member>();
  #checksSeen = false;
  #catalogSeen = false;
  #started = false;

  constructor(client: ConsulClient, log: Logger, waitMs = 300_000) {
    this.#client = client;
    this.#log = log;
    const onError = (what: string) => (err: unknown, attempt: number) => {
      if (attempt === 1 || attempt % 10 === 0) this.#log.warn({ watch: what, attempt, err: (err as Error).message }, 'consul watch failed; serving last known pools');
    };
    this.#checks = new BlockingWatcher(client, {
      name: 'health/state/any', path: '/health/state/any', query: { stale: '', filter: 'Status != "passing"' }, waitMs,
      onChange: (body, afterError) => this.#onChecks((body ?? []) as ConsulCheck[], afterError), onError: onError('health/state/any'),
    });
    this.#catalog = new BlockingWatcher(client, {
      name: 'catalog/services', path: '/catalog/services', query: { stale: '' }, waitMs, changeOn: 'index',
      onChange: (_body, afterError) => this.#onRegistrations(afterError), onError: onError('catalog/services'),
    });
  }

  get size(): number { return this.#members.size; }

  /** A member for one watched service; `deliver` gets its passing entries whenever they change. */
  add(name: string, key: { service: string; mesh: boolean }, deliver: Member['deliver'], onError: Member['onError']): SharedMember {
    let resolveFirst!: () => void;
    const firstResult = new Promise<void>((r) => { resolveFirst = r; });
    const self = this;
    const m: Member = {
      name, service: key.service, mesh: key.mesh, path: `/health/${key.mesh ? 'connect' : 'service'}/${encodeURIComponent(key.service)}`,
      proxies: new Set([`${key.service}-sidecar-proxy`]), nodes: new Set(), lastText: undefined, attempt: 0, errors: 0, lastError: undefined, lastOkAt: 0,
      active: false, hasResult: false, firstResult, deliver, onError, resolveFirst,
      start() { m.active = true; self.#members.set(name, m); self.#startTriggers(); if (self.#ready) self.#enqueue(m); },
      async stop() { m.active = false; self.#members.delete(name); self.#queued.delete(m); self.#recovering.delete(m); },
      status(now = Date.now()): WatchStatus {
        const trigger = self.#checks.status(now);
        return { name, index: trigger.index, ageMs: m.lastOkAt === 0 ? Infinity : Math.max(trigger.ageMs === 0 ? 0 : now - m.lastOkAt, 0), errors: m.errors, ...(m.lastError ? { lastError: m.lastError } : {}) };
      },
    };
    return m;
  }

  #startTriggers(): void {
    if (this.#started) return;
    this.#started = true;
    this.#checks.start();
    this.#catalog.start();
  }

  async stop(): Promise<void> {
    this.#members.clear();
    this.#queued.clear();
    if (this.#started) await Promise.all([this.#checks.stop(), this.#catalog.stop()]);
  }

  /**
   * Members are first fetched once both triggers have answered, so every fetch reads data at least
   * as new as the indexes the triggers then block on: no change falls between the two.
   */
  get #ready(): boolean { return this.#checksSeen && this.#catalogSeen; }

  #onChecks(checks: ConsulCheck[], afterError: boolean): void {
    const next = fingerprintChecks(checks);
    const changed = healthChanges(this.#fingerprint, next);
    this.#fingerprint = next;
    if (!this.#checksSeen) { this.#checksSeen = true; if (this.#ready) this.#fetchAll(false); return; }
    if (afterError) return this.#fetchAll(true);
    for (const m of this.#members.values()) {
      const names = m.mesh ? [...m.proxies].some((p) => changed.services.has(p)) : changed.services.has(m.service);
      if (names || (changed.nodes.size > 0 && [...m.nodes].some((n) => changed.nodes.has(n)))) this.#enqueue(m);
    }
  }

  /** any registration may have changed */
  #onRegistrations(afterError: boolean): void {
    if (!this.#catalogSeen) { this.#catalogSeen = true; if (!this.#ready) return; }
    this.#fetchAll(afterError);
  }

  /** fetch everything (a registration changed, the first answers, or Consul came back from an outage) */
  #fetchAll(afterError: boolean): void {
    for (const m of this.#members.values()) {
      if (afterError) this.#recovering.add(m);
      this.#enqueue(m);
    }
  }

  #enqueue(m: Member): void {
    if (!m.active) return;
    if (this.#inFlight.has(m)) { this.#again.add(m); return; }
    this.#queued.add(m);
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight.size < FETCH_CONCURRENCY && this.#queued.size > 0) {
      const m = this.#queued.values().next().value as Member;
      this.#queued.delete(m);
      this.#inFlight.add(m);
      void this.#fetch(m).finally(() => {
        this.#inFlight.delete(m);
        if (this.#again.delete(m)) this.#enqueue(m);
        this.#pump();
      });
    }
  }

  async #fetch(m: Member): Promise<void> {
    try {
      const res = await this.#client.get<unknown>(m.path, { passing: '1' });
      m.lastOkAt = Date.now();
      m.attempt = 0;
      m.lastError = undefined;
      const text = JSON.stringify(res.body);
      if (m.mesh) m.proxies = new Set([`${m.service}-sidecar-proxy`, ...proxyNames(res.body)]);
      for (const n of nodeNames(res.body)) m.nodes.add(n);
      const afterError = this.#recovering.delete(m);
      if (text !== m.lastText && m.active) {
        m.lastText = text;
        m.deliver(res.body, afterError);
      }
      if (!m.hasResult) { (m as { hasResult: boolean }).hasResult = true; m.resolveFirst(); }
    } catch (err) {
      m.errors++;
      m.attempt++;
      m.lastError = err instanceof Error ? err.message : String(err);
      m.onError(err, m.attempt);
      setTimeout(() => this.#enqueue(m), backoffMs(m.attempt, 250, 2000)).unref();
    }
  }
}

function nodeNames(body: unknown): string[] {
  if (!Array.isArray(body)) return [];
  return body.map((e: { Node?: { Node?: string } }) => e.Node?.Node).filter((n): n is string => typeof n === 'string');
}

function proxyNames(body: unknown): string[] {
  if (!Array.isArray(body)) return [];
  return body.map((e: { Service?: { Service?: string } }) => e.Service?.Service).filter((n): n is string => typeof n === 'string');
}
