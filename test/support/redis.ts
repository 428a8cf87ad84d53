// A throwaway redis-server for the tests: found on PATH (or /usr/bin, /usr/sbin), installed from
// Debian once when missing, started on a free loopback port without persistence, and ended by
// its own pid. The child is tracked like every harness process, so it is SIGKILLed at exit
// even when an after hook never runs.
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../../agent/demo/free-port.js';
import { ChildHandle, runBounded } from './proc.js';
import { REPO } from './repo.js';
import { GiveUp, waitFor } from './wait.js';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  readonly child: ChildHandle;
  alive(): boolean;
  /** SIGTERM (then SIGKILL) to this redis-server only; resolves when it is gone */
  stop(): Promise<void>;
}

function findOnPath(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const d of dirs) {
    const p = path.join(d, cmd);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** The redis-server binary, installing the Debian package when it is missing. */
export async function redisServerBinary(): Promise<string> {
  const found = findOnPath('redis-server');
  if (found !== undefined) return found;
  const r = await runBounded('bash', [path.join(REPO, 'deploy/setup/install-packages.sh'), 'redis-server:redis-server'], { timeoutMs: 300_000, cwd: REPO });
  const after = findOnPath('redis-server');
  if (after === undefined) throw new Error(`redis-server is not installed and could not be installed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
  return after;
}

/** One PING over a fresh connection; true on +PONG. */
export function ping(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const finish = (ok: boolean) => { clearTimeout(timer); s.destroy(); resolve(ok); };
    const timer = setTimeout(() => finish(false), timeoutMs);
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { buf += d.toString('latin1'); if (buf.includes('\r\n')) finish(buf.startsWith('+PONG')); });
    s.once('error', () => finish(false));
  });
}

export async function startRedis(opts: { port?: number } = {}): Promise<RedisServer> {
  const bin = await redisServerBinary();
  const port = opts.port ?? await freePort('127.0.0.1');
  const child = new ChildHandle(`redis-server :${port}`, bin, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no',
  ]);
  try {
    await waitFor(async () => {
      if (!child.alive()) throw new GiveUp(`redis-server exited: ${child.output.tail(20)}`);
      return ping(port);
    }, { timeoutMs: 10_000, intervalMs: 50, what: `redis-server on ${port} to answer PING` });
  } catch (err) {
    await child.stop(2000);
    throw err;
  }
  return {
    port, url: `redis://127.0.0.1:${port}`, pid: child.pid, child,
    alive: () => child.alive(),
    stop: () => child.stop(3000),
  };
}
