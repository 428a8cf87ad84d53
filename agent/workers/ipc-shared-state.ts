// A worker's IPC implementations of the agent-wide state kinds: local rate-limit counters (the
// primary counts), mesh TLS material (the primary's one CA/leaf source), circuit breakers (an
// open or close is told to the others). Ejections go the same way (worker-main.ts wires them).
import type { CounterRequest, CounterResult } from '../plugins/rate-limiting/counters.js';
import type { LocalCounters } from '../plugins/rate-limiting/local-store.js';
import type { TlsSource } from '../transport/mesh-tls.js';
import type { TlsMaterial } from '../transport/tls-material.js';
import type { WorkerLink } from './primary-link.js';
import { materialFromWire, PendingAnswers } from './protocol.js';

/** a hit the primary has not answered by then fails (the plugin answers 500, as for a Redis failure) */
export const COUNT_TIMEOUT_MS = 2000;

export class IpcCounters implements LocalCounters {
  readonly #link: WorkerLink;
  readonly #pending = new PendingAnswers<CounterResult>();

  constructor(link: WorkerLink) {
    this.#link = link;
    link.on('counted', (m) => { this.#pending.settle(m.id, m.result); });
  }

  hit(request: CounterRequest, nowMs: number): Promise<CounterResult> {
    const { id, answer } = this.#pending.open(COUNT_TIMEOUT_MS);
    this.#link.send({ mg: 'count', id, request, nowMs });
    return answer;
  }
}

/** Mesh TLS material as the primary's source has it; the worker builds its own contexts. */
export class IpcTlsSource implements TlsSource {
  constructor(private readonly link: WorkerLink) {}

  start(onMaterial: (m: Omit<TlsMaterial, 'version'>) => void): void {
    this.link.on('mesh', (m) => onMaterial(materialFromWire(m.material)));
  }

  async stop(): Promise<void> { /* the primary's source stops with it */ }
}
