// A worker's end of the IPC channel: one handler per message kind, and sends that are dropped
// once the primary is gone (node:cluster then ends the worker).
import { isMeshgateMessage, type FromWorker, type MessageOf, type ToWorker } from './protocol.js';

export interface Link<In extends { mg: string }, Out> {
  on<K extends In['mg']>(kind: K, handler: (m: MessageOf<In, K>) => void): void;
  send(m: Out): void;
}

export type WorkerLink = Link<ToWorker, FromWorker>;

export class PrimaryLink implements WorkerLink {
  readonly #handlers = new Map<string, (m: ToWorker) => void>();
  /** messages of a kind nobody handles yet, kept until a handler comes (the init, early pools) */
  readonly #early: ToWorker[] = [];

  constructor(private readonly proc: NodeJS.Process = process) {
    proc.on('message', (m: unknown) => {
      if (!isMeshgateMessage<ToWorker>(m)) return;
      const h = this.#handlers.get(m.mg);
      if (h !== undefined) h(m); else this.#early.push(m);
    });
  }

  on<K extends ToWorker['mg']>(kind: K, handler: (m: MessageOf<ToWorker, K>) => void): void {
    this.#handlers.set(kind, handler as (m: ToWorker) => void);
    for (let i = 0; i < this.#early.length;) {
      const m = this.#early[i]!;
      if (m.mg === kind) { this.#early.splice(i, 1); handler(m as MessageOf<ToWorker, K>); } else i++;
    }
  }

  /** the next message of a kind (the init) */
  first<K extends ToWorker['mg']>(kind: K): Promise<MessageOf<ToWorker, K>> {
    return new Promise((resolve) => this.on(kind, resolve));
  }

  send(m: FromWorker): void {
    if (this.proc.connected) this.proc.send!(m);
  }
}
