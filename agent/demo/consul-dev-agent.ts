// Starts and stops a Consul dev agent (UI included) as a child process on free loopback ports.
// Used by `meshgate demo` and by the integration tests; never by a production agent.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from './free-port.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The consul binary: CONSUL_BIN, PATH, or the repo's own installer (Debian bullseye's 1.8.7). */
export async function findConsul(): Promise<string> {
  const script = path.join(REPO, 'deploy/setup/install-consul.sh');
  const { stdout } = await run('bash', [script], { maxBuffer: 1 << 20 });
  const bin = stdout.trim().split('\n').pop() ?? '';
  if (!bin) throw new Error('no consul binary found');
  return bin;
}

export interface ConsulDevAgent {
  readonly httpAddress: string;
  readonly httpPort: number;
  /** the WAN gossip port, for joining another datacenter (PUT /v1/agent/join/127.0.0.1:PORT?wan=1) */
  readonly serfWanPort: number;
  readonly process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface ConsulDevOptions {
  readonly bin?: string;
  readonly httpPort?: number;
  readonly node?: string;
  readonly log?: (line: string) => void;
  /** more agent configuration (JSON), e.g. { acl: { enabled: true, default_policy: 'deny' } } */
  readonly extraConfig?: Record<string, unknown>;
}

export async function startConsulDev(opts: ConsulDevOptions = {}): Promise<ConsulDevAgent> {
  const bin = opts.bin ?? await findConsul();
  const picked = await freePorts(opts.httpPort === undefined ? 5 : 4, '127.0.0.1', opts.httpPort === undefined ? [] : [opts.httpPort]);
  const httpPort = opts.httpPort ?? picked.pop()!;
  const [serfLan, serfWan, server, sideMin] = picked as [number, number, number, number];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'meshgate-consul-'));
  // keep Consul's own sidecar port range away from other agents started in parallel
  await writeFile(path.join(dir, 'ports.json'), JSON.stringify({ ...opts.extraConfig, ports: { sidecar_min_port: sideMin, sidecar_max_port: sideMin } }));
  const child = spawn(bin, [
    'agent', '-dev', '-ui', `-node=${opts.node ?? 'meshgate-dev'}`, '-bind=127.0.0.1', '-client=127.0.0.1',
    `-http-port=${httpPort}`, '-dns-port=-1', `-serf-lan-port=${serfLan}`, `-serf-wan-port=${serfWan}`,
    `-server-port=${server}`, '-grpc-port=-1', `-config-file=${path.join(dir, 'ports.json')}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logLine = opts.log;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (d: string) => { if (logLine) for (const l of d.split('\n')) if (l) logLine(l); });
  }
  const httpAddress = `http://127.0.0.1:${httpPort}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (signal: NodeJS.Signals = 'SIGINT') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`consul exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${httpAddress}/v1/status/leader`);
      const leader = await res.text();
      if (res.ok && leader.length > 2) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { await stop('SIGKILL'); throw new Error('consul dev agent did not elect a leader within 20 s'); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { httpAddress, httpPort, serfWanPort: serfWan, process: child, stop };
}
