// A process started inside one host's namespace (`ip netns exec` execs it, so the pid we hold is
// the program's own). Output goes to a log file; every process is tracked so the topology's
// cleanup can SIGKILL what is still alive, by pid, even when the caller never got to stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export class HostProcess {
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;

  constructor(readonly name: string, readonly ns: string, cmd: string, args: readonly string[], logFile: string, registry: Set<HostProcess>) {
    const log = createWriteStream(logFile, { flags: 'a' });
    this.proc = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout!.pipe(log, { end: false });
    this.proc.stderr!.pipe(log, { end: false });
    registry.add(this);
    this.exited = new Promise((resolve) => this.proc.once('exit', () => { registry.delete(this); resolve(); }));
  }

  get alive(): boolean { return this.proc.exitCode === null && this.proc.signalCode === null; }

  kill(signal: NodeJS.Signals): void {
    if (this.alive && this.proc.pid !== undefined) process.kill(this.proc.pid, signal);
  }

  /** signal, wait up to graceMs, then SIGKILL */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    this.kill(signal);
    const t = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}
