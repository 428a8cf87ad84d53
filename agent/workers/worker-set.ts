// The primary's workers: forked with node:cluster, each told its config at once, replaced when
// it exits (unless the agent is stopping) by a spare process kept started and idle, asked for
// status, metrics and admin answers, drained on stop.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { AdminAnswer, AdminCall } from '../admin/admin-routes.js';
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
  /** one started, idle worker process that takes the place of the next one to exit */
  #spare: { readonly worker: Worker; warm: boolean } | null = null;
  #stopping = false;

  constructor(readonly count: number, private readonly hooks: WorkerSetHooks, private readonly log: Logger) {}

  start(): void {
    for (let i = 0; i < this.count; i++) this.#fork(i);
  }

  /**
   * The worker for slot `index`: the spare if there is one (once warm, Node has started and
   * meshgate is loaded, which on a busy machine takes seconds), else a new process.
   */
  #fork(index: number): void {
    const spare = this.#spare;
    // a spare still loading is further along than a new process: it gets its init when it says hello
    if (spare !== null && spare.worker.isConnected()) {
      this.#spare = null;
      this.#adopt(index, spare.worker, spare.warm);
    } else {
      this.#adopt(index, cluster.fork(), false);
    }
  }

  /** The spare starts once every worker listens: it must not slow down their own start. */
  #keepSpare(): void {
    if (this.#spare !== null || this.#stopping || this.#entries.size < this.count) return;
    for (const e of this.#entries.values()) if (!e.listening) return;
    this.#forkSpare();
  }

  #forkSpare(): void {
    const worker = cluster.fork();
    const spare = { worker, warm: false };
    this.#spare = spare;
    const onHello = (m: unknown) => {
      if (isMeshgateMessage<FromWorker>(m) && m.mg === 'hello') { spare.warm = true; worker.off('message', onHello); }
    };
    worker.on('message', onHello);
    worker.once('exit', () => {
      if (this.#spare !== spare) return;
      this.#spare = null;
      if (!this.#stopping) setTimeout(() => this.#keepSpare(), RESTART_AFTER_EARLY_DEATH_MS);
    });
  }

  #adopt(index: number, worker: Worker, helloed: boolean): void {
    const e: WorkerEntry = { index, worker, pid: worker.process.pid ?? 0, started: Date.now(), listening: false, loaded: false, port: 0, wants: [] };
    this.#entries.set(index, e);
    worker.on('message', (m: unknown) => {
      if (!isMeshgateMessage<FromWorker>(m)) return;
      if (m.mg === 'answer') { this.#answers.settle(m.id, m.body); return; }
      if (m.mg === 'hello') { for (const first of this.hooks.init(e)) this.send(e, first); return; }
      if (m.mg === 'ready') { e.listening = true; e.loaded = m.loaded; e.port = m.port; this.#keepSpare(); }
      this.hooks.onMessage(e, m);
    });
    worker.on('error', (err) => this.log.warn({ worker_index: index, err: err.message }, 'worker IPC error'));
    // a spare said hello long ago and waits for its init
    if (helloed) for (const first of this.hooks.init(e)) this.send(e, first);
    worker.once('exit', (code, signal) => {
      if (this.#entries.get(index) === e) this.#entries.delete(index);
      this.hooks.onExit(e);
      for (const f of this.#exited) f();
      if (this.#stopping) return;
      this.log.warn({ worker_index: index, worker_pid: e.pid, code, signal }, 'worker exited; starting a new one');
      const early = !e.listening;
      setTimeout(() => { if (!this.#stopping) this.#fork(index); }, early ? RESTART_AFTER_EARLY_DEATH_MS : 0);
    });
  }

  /** the idle process that replaces the next worker to exit; warm once it has loaded meshgate */
  spare(): { pid: number; warm: boolean } | null {
    return this.#spare === null ? null : { pid: this.#spare.worker.process.pid ?? 0, warm: this.#spare.warm };
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

  askAdmin(e: WorkerEntry, call: AdminCall, timeoutMs: number): Promise<AdminAnswer> {
    const { id, answer } = this.#answers.open(timeoutMs);
    this.send(e, { mg: 'admin', id, call });
    return answer as Promise<AdminAnswer>;
  }

  /** Every worker drains and exits; after timeoutMs the rest are killed. */
  async drain(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    // the spare has no config and no connections: it just ends
    this.#spare?.worker.process.kill('SIGTERM');
    this.#spare = null;
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
