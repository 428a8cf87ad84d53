// The primary's workers: forked with node:cluster, each told its config at once, replaced when
// it exits (unless the agent is stopping), asked for status and metrics, drained on stop.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { WatchKey } from '../discovery/service-discovery.js';
import { isMeshgateMessage, PendingAnswers, type FromWorker, type ToWorker } from './protocol.js';

export interface WorkerEntry {
  readonly index: number;
  readonly worker: Worker;
  readonly pid: number;
  readonly started: number;
  /** listening (told by the worker) and whether its table has every pool's first answer */
  listening: boolean;
  loaded: boolean;
  port: number;
  wants: readonly WatchKey[];
}

export interface WorkerSetHooks {
  /** the first messages to a new worker: its init (the config the agent runs now), then the mesh material */
  init(e: WorkerEntry): ToWorker[];
  onMessage(e: WorkerEntry, m: FromWorker): void;
  onExit(e: WorkerEntry): void;
}

/** a worker that dies before it listens is forked again after this long, not in a tight loop */
const RESTART_AFTER_EARLY_DEATH_MS = 1000;

export class WorkerSet {
  readonly #entries = new Map<number, WorkerEntry>();
  readonly #answers = new PendingAnswers<unknown>();
  readonly #exited = new Set<() => void>();
  #stopping = false;

  constructor(readonly count: number, private readonly hooks: WorkerSetHooks, private readonly log: Logger) {}

  start(): void {
    for (let i = 0; i < this.count; i++) this.#fork(i);
  }

  #fork(index: number): void {
    const worker = cluster.fork({ MESHGATE_WORKER_INDEX: String(index) });
    const e: WorkerEntry = { index, worker, pid: worker.process.pid ?? 0, started: Date.now(), listening: false, loaded: false, port: 0, wants: [] };
    this.#entries.set(index, e);
    worker.on('message', (m: unknown) => {
      if (!isMeshgateMessage<FromWorker>(m)) return;
      if (m.mg === 'answer') { this.#answers.settle(m.id, m.body); return; }
      if (m.mg === 'hello') { for (const first of this.hooks.init(e)) this.send(e, first); return; }
      if (m.mg === 'ready') { e.listening = true; e.loaded = m.loaded; e.port = m.port; }
      this.hooks.onMessage(e, m);
    });
    worker.on('error', (err) => this.log.warn({ worker: index, err: err.message }, 'worker IPC error'));
    worker.once('exit', (code, signal) => {
      if (this.#entries.get(index) === e) this.#entries.delete(index);
      this.hooks.onExit(e);
      for (const f of this.#exited) f();
      if (this.#stopping) return;
      this.log.warn({ worker: index, pid: e.pid, code, signal }, 'worker exited; starting a new one');
      const early = !e.listening;
      setTimeout(() => { if (!this.#stopping) this.#fork(index); }, early ? RESTART_AFTER_EARLY_DEATH_MS : 0);
    });
  }

  entries(): WorkerEntry[] {
    return [...this.#entries.values()].sort((a, b) => a.index - b.index);
  }

  send(e: WorkerEntry, m: ToWorker): void {
    if (e.worker.isConnected()) e.worker.send(m);
  }

  broadcast(m: ToWorker, except?: WorkerEntry): void {
    for (const e of this.#entries.values()) if (e !== except) this.send(e, m);
  }

  ask(e: WorkerEntry, what: 'status' | 'metrics', timeoutMs: number): Promise<unknown> {
    const { id, answer } = this.#answers.open(timeoutMs);
    this.send(e, { mg: 'ask', id, what });
    return answer;
  }

  /** Every worker drains and exits; after timeoutMs the rest are killed. */
  async drain(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    this.broadcast({ mg: 'drain' });
    const done = new Promise<void>((resolve) => {
      const check = () => { if (this.#entries.size === 0) { this.#exited.delete(check); resolve(); } };
      this.#exited.add(check);
      check();
    });
    const deadline = setTimeout(() => { for (const e of this.#entries.values()) e.worker.process.kill('SIGKILL'); }, timeoutMs);
    await done;
    clearTimeout(deadline);
    this.#answers.failAll(new Error('stopping'));
  }
}
