// `meshgate demo`: a whole mesh on this machine from real parts — a Consul dev agent with its UI
// (or the one already at CONSUL_HTTP_ADDR), sample services users (×2) and orders (×1) each behind
// its own sidecar agent, and an edge on :8080. Ctrl-C stops everything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startConsulDev, type ConsulDevAgent } from './consul-dev-agent.js';
import { freePorts } from './free-port.js';
import { NODE_FLAGS } from '../node-flags.js';
import { demoEdgeConfig, demoSidecarConfig } from './demo-configs.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const DEMO_DIR = path.join(REPO, '.demo');
const BIN = path.join(REPO, 'bin/meshgate.js');
const SAMPLE = path.join(REPO, 'deploy/demo/sample-service.mjs');

interface Child { readonly name: string; readonly proc: ChildProcess; readonly exited: Promise<void> }

function env(name: string, fallback: string): string {
  return process.env[name] || fallback;
}

async function consulReachable(address: string): Promise<boolean> {
  try {
    const res = await fetch(`${address}/v1/status/leader`, { signal: AbortSignal.timeout(1000) });
    return res.ok && (await res.text()).length > 2;
  } catch { return false; }
}

export async function runDemo(): Promise<number> {
  await mkdir(path.join(DEMO_DIR, 'logs'), { recursive: true });
  const consulPort = Number(env('MESHGATE_DEMO_CONSUL_PORT', '8500'));
  const edgeListen = env('MESHGATE_DEMO_EDGE_LISTEN', '0.0.0.0:8080');
  const edgeAdmin = env('MESHGATE_DEMO_EDGE_ADMIN', '127.0.0.1:9901');
  const children: Child[] = [];
  let consul: ConsulDevAgent | undefined;
  let consulAddress = env('CONSUL_HTTP_ADDR', `http://127.0.0.1:${consulPort}`);
  if (!/^https?:\/\//.test(consulAddress)) consulAddress = `http://${consulAddress}`;

  const start = (name: string, cmd: string, args: string[]): Child => {
    const log = createWriteStream(path.join(DEMO_DIR, 'logs', `${name}.log`));
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    const exited = new Promise<void>((resolve) => proc.once('exit', (code, signal) => {
      if (!stopping) process.stderr.write(`demo: ${name} exited (${signal ?? code}); see .demo/logs/${name}.log\n`);
      resolve();
    }));
    const child = { name, proc, exited };
    children.push(child);
    return child;
  };

  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\ndemo: stopping…\n');
    // edge first, then sidecars (they drain and deregister), then services, then Consul
    for (const group of [['edge'], ['sidecar'], ['svc']]) {
      const batch = children.filter((c) => group.some((g) => c.name.startsWith(g)));
      for (const c of batch) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
      await Promise.race([Promise.all(batch.map((c) => c.exited)), new Promise((r) => setTimeout(r, 12_000))]);
      for (const c of batch) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    }
    await consul?.stop();
  };

  try {
    if (await consulReachable(consulAddress)) {
      process.stdout.write(`demo: using the Consul agent already at ${consulAddress}\n`);
    } else {
      process.stdout.write(`demo: starting a Consul dev agent on 127.0.0.1:${consulPort} …\n`);
      const consulLog = createWriteStream(path.join(DEMO_DIR, 'logs', 'consul.log'));
      consul = await startConsulDev({ httpPort: consulPort, node: 'meshgate-demo', log: (l) => consulLog.write(`${l}\n`) });
      consulAddress = consul.httpAddress;
    }

    const instances = [
      { name: 'users', id: 'users-1' }, { name: 'users', id: 'users-2' }, { name: 'orders', id: 'orders-1' },
    ];
    // every port at once: picked one at a time, the kernel may hand the same one out twice
    const free = await freePorts(instances.length * 4);
    for (const [i, inst] of instances.entries()) {
      const [port, meshPort, adminPort, localUpstream] = free.slice(i * 4, i * 4 + 4) as [number, number, number, number];
      // users call orders through their sidecar's local upstream port
      const ordersPort = inst.name === 'users' ? localUpstream : undefined;
      const upstreamArgs = ordersPort ? ['--upstream', `orders=http://127.0.0.1:${ordersPort}`] : [];
      start(`svc-${inst.id}`, process.execPath, [SAMPLE, '--port', String(port), '--name', inst.name, '--instance', inst.id, ...upstreamArgs]);
      const file = path.join(DEMO_DIR, `sidecar-${inst.id}.yml`);
      await writeFile(file, demoSidecarConfig({ consulAddress, ...inst, port, meshPort, adminPort, ...(ordersPort ? { ordersPort } : {}) }));
      start(`sidecar-${inst.id}`, process.execPath, [...NODE_FLAGS, BIN, 'agent', '--config', file]);
    }
    const edgeFile = path.join(DEMO_DIR, 'edge.yml');
    await writeFile(edgeFile, demoEdgeConfig({ consulAddress, listen: edgeListen, admin: edgeAdmin }));
    start('edge', process.execPath, [...NODE_FLAGS, BIN, 'agent', '--config', edgeFile]);

    const edgePort = edgeListen.slice(edgeListen.lastIndexOf(':') + 1);
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    const ready = await waitFor(async () => {
      const res = await fetch(`${edgeUrl}/api/v1/users/1`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      const orders = await fetch(`${edgeUrl}/api/v1/orders/1`, { signal: AbortSignal.timeout(1000) });
      await orders.arrayBuffer();
      return res.status === 200 && orders.status === 200;
    }, 30_000);
    if (!ready) process.stderr.write('demo: the edge did not answer 200 within 30 s; see .demo/logs/\n');

    process.stdout.write(`
  meshgate demo is up.

  Edge (public):     ${edgeUrl}   (listening on ${edgeListen})
  Consul UI:         ${consulAddress}/ui/dc1/services
  Edge admin:        http://${edgeAdmin}/status   /metrics
  Configs and logs:  .demo/

  Try:
    curl ${edgeUrl}/api/v1/users/1
    curl ${edgeUrl}/api/v1/orders/1
    curl ${edgeUrl}/api/v1/users/1/orders     # users → its sidecar's local upstream → orders, mTLS all the way

  Every hop between agents is mutual TLS with Consul Connect certificates. To watch intentions work,
  add a deny intention users → orders in the Consul UI (Intentions → Create) and repeat the last curl: 403.

  Ctrl-C stops everything.
`);
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    await stopAll();
    return 1;
  }

  await new Promise<void>((resolve) => {
    const onSignal = () => { void stopAll().then(resolve); };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  return 0;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try { if (await check()) return true; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
