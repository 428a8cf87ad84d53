// A worker's IPC implementations of the agent-wide state kinds: local rate-limit counters (the
// primary counts), mesh TLS material (the primary's one CA/leaf source), circuit breakers (an
// open or close is told to the others). Ejections go the same way (worker-main.ts wires them).
import type { CounterRequest, CounterResult } from '../plugins/rate-limiting/counters.js';
import type { LocalCounters } from '../plugins/rate-limiting/local-store.js';
import type { TlsSource } from '../transport/mesh-tls.js';
import type { TlsMaterial } from '../transport/tls-material.js';
import type { WorkerLink } from './primary-link.js';
import { materialFromWire, PendingAnswers, type CounterHit } from './protocol.js';

/** a hit the primary has not answered by then fails (the plugin answers 500, as for a Redis failure) */
export const COUNT_TIMEOUT_MS = 2000;

/**
 * The hits of one event-loop turn go to the primary in one message and come back in one: an IPC
 * message costs far more than counting, so under load this is what keeps the primary from
 * becoming every worker's bottleneck. The primary counts them in order, so limits stay exact.
 */
export class IpcCounters implements LocalCounters {
  readonly #link: WorkerLink;
  readonly #pending = new PendingAnswers<CounterResult>();
  readonly #peeks = new PendingAnswers<number>();
  #batch: CounterHit[] = [];

  constructor(link: WorkerLink) {
    this.#link = link;
    link.on('counted', (m) => { for (const [id, result] of m.results) this.#pending.settle(id, result); });
    link.on('peeked', (m) => { this.#peeks.settle(m.id, m.count); });
  }

  /** a key's live count as the primary has it (for the explain report; rare, so not batched) */
  count(key: string, nowMs: number): Promise<number> {
    const { id, answer } = this.#peeks.open(COUNT_TIMEOUT_MS);
    this.#link.send({ mg: 'peek', id, key, nowMs });
    return answer;
  }

  hit(request: CounterRequest, nowMs: number): Promise<CounterResult> {
    const { id, answer } = this.#pending.open(COUNT_TIMEOUT_MS);
    this.#batch.push({ id, request, nowMs });
    if (this.#batch.length === 1) setImmediate(this.#flush);
    return answer;
  }

  readonly #flush = (): void => {
    const hits = this.#batch;
    this.#batch = [];
    this.#link.send({ mg: 'count', hits });
  };
}

/** The primary's side: every hit of a batch counted in order by the agent's one store. */
export function countHits(store: { hit(req: CounterRequest, nowMs: number): CounterResult }, hits: readonly CounterHit[]): [number, CounterResult][] {
  return hits.map((h) => [h.id, store.hit(h.request, h.nowMs)]);
}

/** Mesh TLS material as the primary's source has it; the worker builds its own contexts. */
export class IpcTlsSource implements TlsSource {
  constructor(private readonly link: WorkerLink) {}

  start(onMaterial: (m: Omit<TlsMaterial, 'version'>) => void): void {
    this.link.on('mesh', (m) => onMaterial(materialFromWire(m.material)));
  }

  async stop(): Promise<void> { /* the primary's source stops with it */ }
}
