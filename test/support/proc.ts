// Child processes started by the tests: output captured in memory (for assertions and for the
// dump on failure), every one tracked so it can be ended even when a test fails, and a last-resort
// SIGKILL on process exit. Only processes started here are ever signalled, by their own pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { sleep } from './wait.js';

export interface OutputLine {
  readonly at: number;
  readonly stream: 'out' | 'err';
  readonly text: string;
}

const MAX_LINES = 50_000;

/** The lines a process wrote, oldest first (bounded: the oldest are dropped past MAX_LINES). */
export class OutputBuffer {
  readonly lines: OutputLine[] = [];
  dropped = 0;
  #partial: Record<'out' | 'err', string> = { out: '', err: '' };

  push(stream: 'out' | 'err', chunk: string): void {
    const text = this.#partial[stream] + chunk;
    const parts = text.split('\n');
    this.#partial[stream] = parts.pop() ?? '';
    for (const p of parts) this.add(stream, p);
  }

  add(stream: 'out' | 'err', text: string): void {
    this.lines.push({ at: Date.now(), stream, text });
    if (this.lines.length > MAX_LINES) { this.lines.splice(0, this.lines.length - MAX_LINES); this.dropped++; }
  }

  flushPartial(): void {
    for (const s of ['out', 'err'] as const) if (this.#partial[s]) { this.add(s, this.#partial[s]); this.#partial[s] = ''; }
  }

  text(stream?: 'out' | 'err'): string {
    return this.lines.filter((l) => !stream || l.stream === stream).map((l) => l.text).join('\n');
  }

  /** stdout lines that parse as JSON objects (pino logs) */
  json(): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const l of this.lines) {
      if (l.stream !== 'out' || !l.text.startsWith('{')) continue;
      try { out.push(JSON.parse(l.text) as Record<string, unknown>); } catch { /* not JSON */ }
    }
    return out;
  }

  tail(n: number): string {
    return this.lines.slice(-n).map((l) => `${new Date(l.at).toISOString().slice(11, 23)} ${l.stream === 'err' ? '!' : ' '} ${l.text}`).join('\n');
  }
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Date.now() when the exit was seen */
  readonly at: number;
}

export interface Tracked {
  readonly name: string;
  readonly pid: number;
  readonly output: OutputBuffer;
  alive(): boolean;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone */
  stop(graceMs?: number): Promise<void>;
}

/** Everything still running that any harness started; SIGKILLed when this process exits. */
const live = new Set<Tracked>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const t of live) if (t.alive()) { try { process.kill(t.pid, 'SIGKILL'); } catch { /* gone */ } }
  });
}

export function track(t: Tracked): void { installExitHook(); live.add(t); }
export function untrack(t: Tracked): void { live.delete(t); }
export function liveTracked(): Tracked[] { return [...live]; }

export class ChildHandle implements Tracked {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly output = new OutputBuffer();
  readonly exited: Promise<ExitInfo>;
  exit: ExitInfo | undefined;

  constructor(name: string, command: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    this.name = name;
    this.proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    if (this.proc.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    this.pid = this.proc.pid;
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stdout!.on('data', (d: string) => this.output.push('out', d));
    this.proc.stderr!.on('data', (d: string) => this.output.push('err', d));
    this.exited = new Promise((resolve) => {
      // 'close' fires after the pipes are drained, so the output is complete
      this.proc.once('close', (code, signal) => {
        this.output.flushPartial();
        const info = this.exit ?? { code, signal, at: Date.now() };
        this.exit = info;
        untrack(this);
        resolve(info);
      });
    });
    // the exit time matters to the drain test: record it at 'exit', before pipes close
    this.proc.once('exit', (code, signal) => { this.exit ??= { code, signal, at: Date.now() }; });
    track(this);
  }

  alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.alive()) this.proc.kill(sig);
  }

  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive()) { await this.exited; return; }
    this.proc.kill('SIGTERM');
    const t = await Promise.race([this.exited.then(() => 'exited' as const), sleep(graceMs).then(() => 'timeout' as const)]);
    if (t === 'timeout' && this.alive()) {
      this.proc.kill('SIGKILL');
      await Promise.race([this.exited, sleep(3000)]);
    }
  }

  /** SIGKILL and wait for the process to be gone */
  async kill(): Promise<ExitInfo> {
    this.signal('SIGKILL');
    return this.exited;
  }
}

/** Runs a short command to completion, bounded in time; output captured. */
export async function runBounded(command: string, args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const c = new ChildHandle(`run ${args.join(' ')}`, command, args, opts);
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const res = await Promise.race([c.exited, sleep(timeoutMs).then(() => undefined)]);
  if (res === undefined) {
    await c.stop(2000);
    throw new Error(`${command} ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${c.output.tail(40)}`);
  }
  return { code: res.code, signal: res.signal, stdout: c.output.text('out'), stderr: c.output.text('err') };
}
