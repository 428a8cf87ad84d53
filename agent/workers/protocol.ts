// The messages between an agent's primary process and its workers (node:cluster IPC, JSON).
// Everything here is plain data: pool snapshots are endpoint lists, TLS material is PEM text,
// config is the validated document. Every message carries `mg` (its kind), which keeps it apart
// from node:cluster's own messages on the same channel.
import type { MeshgateConfig } from '../../proto/config-schema.js';
import type { EndpointSpec } from '../discovery/catalog-to-endpoints.js';
import type { WatchKey } from '../discovery/service-discovery.js';
import type { CounterRequest, CounterResult } from '../plugins/rate-limiting/counters.js';
/** half-open stays each worker's own (each probes); open and closed are the agent's */
type SharedBreakerState = 'open' | 'closed';
import type { Leaf, TlsMaterial } from '../transport/tls-material.js';
import type { AgentOverrides } from '../agent.js';
import type { AdminCall } from '../admin/admin-routes.js';

/** A watch's pool as the primary knows it: [watch name, endpoints, loaded]. */
export type WirePool = readonly [string, readonly EndpointSpec[], boolean];

export interface WireMaterial {
  readonly rootsPem: readonly string[];
  readonly trustDomains: readonly string[];
  readonly leaves: readonly Leaf[];
}

/** one request's rate-limit hit, asked of the primary (a worker sends a loop turn's hits at once) */
export interface CounterHit {
  readonly id: number;
  readonly request: CounterRequest;
  readonly nowMs: number;
}

export interface WorkerConfig {
  readonly file: string;
  readonly config: MeshgateConfig;
  readonly deckOnly: boolean;
}

/** primary → worker */
export type ToWorker =
  | { readonly mg: 'init'; readonly index: number; readonly workers: number; readonly overrides: AgentOverrides; readonly loaded: WorkerConfig }
  | { readonly mg: 'pools'; readonly sentAt: number; readonly pools: readonly WirePool[]; readonly clusterSize: number }
  | { readonly mg: 'mesh'; readonly material: WireMaterial }
  | { readonly mg: 'counted'; readonly results: readonly (readonly [number, CounterResult])[] }
  | { readonly mg: 'peeked'; readonly id: number; readonly count: number }
  | { readonly mg: 'ejected'; readonly key: string; readonly untilMs: number }
  | { readonly mg: 'breaker'; readonly service: string; readonly state: SharedBreakerState }
  | { readonly mg: 'prepare'; readonly gen: number; readonly loaded: WorkerConfig }
  | { readonly mg: 'commit'; readonly gen: number }
  | { readonly mg: 'abort'; readonly gen: number }
  | { readonly mg: 'ask'; readonly id: number; readonly what: 'status' | 'metrics' }
  /** an admin endpoint of the workers' (the explain report, the cache's): answered with an AdminAnswer */
  | { readonly mg: 'admin'; readonly id: number; readonly call: AdminCall }
  | { readonly mg: 'drain' };

/** worker → primary (`hello` first: messages sent before the worker listens would be lost) */
export type FromWorker =
  | { readonly mg: 'hello' }
  | { readonly mg: 'want'; readonly keys: readonly WatchKey[] }
  | { readonly mg: 'ready'; readonly port: number; readonly loaded: boolean }
  | { readonly mg: 'count'; readonly hits: readonly CounterHit[] }
  /** a counter's live value, counting nothing (the explain report) */
  | { readonly mg: 'peek'; readonly id: number; readonly key: string; readonly nowMs: number }
  | { readonly mg: 'ejected'; readonly key: string; readonly untilMs: number }
  | { readonly mg: 'breaker'; readonly service: string; readonly state: SharedBreakerState }
  | { readonly mg: 'prepared'; readonly gen: number; readonly error: string | null }
  | { readonly mg: 'committed'; readonly gen: number }
  | { readonly mg: 'answer'; readonly id: number; readonly body: unknown };

export type MessageOf<U, K> = Extract<U, { mg: K }>;

/** true for our messages (node:cluster and prom-client use the same channel with their own shapes) */
export function isMeshgateMessage<T extends { mg: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { mg?: unknown }).mg === 'string';
}

export function materialToWire(m: TlsMaterial): WireMaterial {
  return { rootsPem: [...m.rootsPem], trustDomains: [...m.trustDomains], leaves: [...m.leaves.values()] };
}

export function materialFromWire(w: WireMaterial): Omit<TlsMaterial, 'version'> {
  return { rootsPem: w.rootsPem, trustDomains: new Set(w.trustDomains), leaves: new Map(w.leaves.map((l) => [l.service, l])) };
}

/**
 * Pending request/answer pairs by id (a worker's counter hits, the primary's status asks). An
 * answer for an unknown id (after a timeout) is dropped.
 */
export class PendingAnswers<T> {
  #next = 0;
  readonly #waiting = new Map<number, { resolve: (v: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | undefined }>();

  get size(): number { return this.#waiting.size; }

  /** a new id and the promise its answer settles; rejected after timeoutMs (0: never) */
  open(timeoutMs = 0): { id: number; answer: Promise<T> } {
    const id = ++this.#next;
    const answer = new Promise<T>((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => { this.#waiting.delete(id); reject(new Error(`no answer within ${timeoutMs} ms`)); }, timeoutMs) : undefined;
      timer?.unref();
      this.#waiting.set(id, { resolve, reject, timer });
    });
    return { id, answer };
  }

  settle(id: number, value: T): boolean {
    const w = this.#waiting.get(id);
    if (w === undefined) return false;
    this.#waiting.delete(id);
    clearTimeout(w.timer);
    w.resolve(value);
    return true;
  }

  failAll(err: Error): void {
    for (const w of this.#waiting.values()) { clearTimeout(w.timer); w.reject(err); }
    this.#waiting.clear();
  }
}
