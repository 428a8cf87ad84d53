// A worker's IPC link without a process: what the worker sends goes to `onSend`, and `deliver`
// plays a message from the primary.
import type { WorkerLink } from '../../../../agent/workers/primary-link.js';
import type { FromWorker, ToWorker } from '../../../../agent/workers/protocol.js';

export class FakeLink implements WorkerLink {
  readonly sent: FromWorker[] = [];
  readonly #handlers = new Map<string, (m: ToWorker) => void>();

  constructor(private readonly onSend: (m: FromWorker, link: FakeLink) => void = () => {}) {}

  on(kind: ToWorker['mg'], handler: (m: never) => void): void {
    this.#handlers.set(kind, handler as (m: ToWorker) => void);
  }

  send(m: FromWorker): void {
    this.sent.push(m);
    this.onSend(m, this);
  }

  deliver(m: ToWorker): void {
    this.#handlers.get(m.mg)?.(m);
  }
}
