// Convergence at scale: N services × M instances registered in a real Consul 1.8.7 dev agent, an
// edge routing to every service and a sidecar with 50 upstreams. Measures, with both agents idle,
// the blocking queries they keep open, their request rate to Consul, their CPU and memory; then the
// time from a health change in Consul to the edge's pool update (the edge's 'pool changed' log
// line), p50/p99 over `--changes` flips of random instances, one at a time.
// Run after `npx tsc -p tsconfig.json`: npm run bench:convergence [-- --services 1000 --changes 120]
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startConsulDev } from '../../dist/agent/demo/consul-dev-agent.js';
import { freePorts, httpGet, sleep, waitFor } from './lib/net.mjs';
import { makeTempDir, PROXY_NODE, runBench, startChild, writeResults } from './lib/proc.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values: opt } = parseArgs({ options: {
  services: { type: 'string', default: '1000' }, instances: { type: 'string', default: '3' },
  upstreams: { type: 'string', default: '50' }, changes: { type: 'string', default: '120' },
  idle: { type: 'string', default: '30' }, out: { type: 'string', default: path.join(root, 'test/bench/results/convergence.json') },
} });
const SERVICES = Number(opt.services), INSTANCES = Number(opt.instances), UPSTREAMS = Math.min(Number(opt.upstreams), SERVICES);
const CHANGES = Number(opt.changes), IDLE_S = Number(opt.idle);
const NODES = 30;
/** a change not seen in the edge's pool within this long counts as this long (and is reported) */
const CHANGE_TIMEOUT_MS = 5000;
const log = (s) => process.stdout.write(`${s}\n`);

const svc = (i) => `svc-${i}`;
const inst = (i, k) => `svc-${i}-${k}`;
const nodeOf = (i, k) => `bench-node-${(i * INSTANCES + k) % NODES}`;
const addrOf = (i, k) => `10.232.${Math.floor((i * INSTANCES + k) / 250) % 250}.${((i * INSTANCES + k) % 250) + 1}`;

async function consulPut(consul, p, body) {
  const res = await fetch(`${consul.httpAddress}/v1${p}`, { method: 'PUT', body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`PUT ${p}: ${res.status} ${await res.text()}`);
}

/**
 * Instances live on external nodes (as an ESM would register them), each behind a sidecar proxy as
 * meshgate routes by default (/v1/health/connect); the proxy's check status is set directly. No
 * traffic is sent to these addresses (10.232.0.0/16).
 */
function registration(i, k, status) {
  const proxy = `${inst(i, k)}-sidecar-proxy`;
  return {
    Node: nodeOf(i, k), Address: addrOf(i, k), SkipNodeUpdate: true,
    Service: { Kind: 'connect-proxy', ID: proxy, Service: `${svc(i)}-sidecar-proxy`, Address: addrOf(i, k), Port: 21000, Proxy: { DestinationServiceName: svc(i), DestinationServiceID: inst(i, k) } },
    Check: { Node: nodeOf(i, k), CheckID: `check-${proxy}`, Name: 'bench', Status: status, ServiceID: proxy },
  };
}

async function registerAll(consul) {
  const jobs = [];
  for (let i = 0; i < SERVICES; i++) for (let k = 0; k < INSTANCES; k++) jobs.push([i, k]);
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < jobs.length) { const [i, k] = jobs[next++]; await consulPut(consul, '/catalog/register', registration(i, k, 'passing')); }
  }));
}

function yaml(file, obj) { writeFileSync(file, JSON.stringify(obj, null, 1)); return file; } // JSON is YAML

function startAgent(name, config, dir) {
  return startChild(name, [...PROXY_NODE, path.join(root, 'bin/meshgate.js'), 'agent', '--config', config], { log: path.join(dir, `${name}.log`), cwd: root });
}

/** Follows an agent's JSON log (its stdout file); `pool changed` lines are handed to onLine. */
function followPoolLines(file, onLine) {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  let offset = 0;
  let rest = '';
  const timer = setInterval(() => {
    const n = readSync(fd, buf, 0, buf.length, offset);
    if (n === 0) return;
    offset += n;
    const text = rest + buf.subarray(0, n).toString('utf8');
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) if (l.includes('"pool changed"')) { try { onLine(JSON.parse(l)); } catch { /* partial */ } }
  }, 2);
  return () => { clearInterval(timer); closeSync(fd); };
}

function procStat(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(parts[11]) + Number(parts[12]); // utime + stime
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return { cpuMs: ticks * 10, rssMb: rssKb / 1024 }; // USER_HZ 100
}

async function scrape(adminPort) {
  const body = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
  const num = (name) => Number(new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(body)?.[1] ?? NaN);
  return { requests: num('meshgate_consul_requests_total'), blocking: num('meshgate_consul_blocking_queries') };
}

function pct(sorted, p) { return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]; }

async function main() {
  const dir = makeTempDir('meshgate-convergence-');
  const started = Date.now();
  const consul = await startConsulDev({ node: 'bench-consul' });
  try {
    log(`consul ${consul.httpAddress}; registering ${SERVICES} services × ${INSTANCES} instances`);
    await registerAll(consul);
    log(`registered in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const ports = await freePorts(4 + UPSTREAMS);
    const [edgePort, edgeAdmin, sideMesh, sideAdmin] = ports;
    const edgeCfg = yaml(path.join(dir, 'edge.yaml'), {
      consul: { address: consul.httpAddress }, agent: { node: 'bench-consul', admin: `127.0.0.1:${edgeAdmin}`, log_level: 'info' },
      edge: { listen: `127.0.0.1:${edgePort}`, kong: { _format_version: '3.0', services: Array.from({ length: SERVICES }, (_, i) => ({
        name: svc(i), url: `http://${svc(i)}`, routes: [{ name: svc(i), paths: [`/${svc(i)}`] }],
      })) } },
    });
    const sideCfg = yaml(path.join(dir, 'sidecar.yaml'), {
      consul: { address: consul.httpAddress }, agent: { node: 'bench-consul', admin: `127.0.0.1:${sideAdmin}` },
      sidecar: {
        listen: `127.0.0.1:${sideMesh}`, services: [{ name: 'bench-local', port: 1 }],
        upstreams: Array.from({ length: UPSTREAMS }, (_, i) => ({ service: svc(i), listen: `127.0.0.1:${ports[4 + i]}` })),
      },
    });

    const pools = new Map(); // watch name → [{ at, count }]
    const onPool = (line) => {
      if (typeof line.watch !== 'string' || !line.watch.startsWith('connect/svc-')) return;
      const list = pools.get(line.watch) ?? [];
      list.push({ at: Date.parse(line.time), count: line.endpoints.length });
      pools.set(line.watch, list);
    };
    const edgeStart = Date.now();
    const edge = startAgent('edge', edgeCfg, dir);
    const stopFollow = followPoolLines(edge.log, onPool);
    const sidecar = startAgent('sidecar', sideCfg, dir);
    try {
      if (!(await waitFor(() => pools.size >= SERVICES, { timeoutMs: 120_000, intervalMs: 100 })).ok) throw new Error(`the edge has ${pools.size} of ${SERVICES} pools after 120 s`);
      const firstPoolsS = (Date.now() - edgeStart) / 1000;
      log(`edge has all ${SERVICES} pools after ${firstPoolsS.toFixed(1)} s`);
      if (!(await waitFor(async () => (await httpGet(`http://127.0.0.1:${sideAdmin}/ready`, 2000)).status === 200, { timeoutMs: 60_000, intervalMs: 200 })).ok) throw new Error('the sidecar did not get ready within 60 s');
      await sleep(5000); // let the first blocking round settle

      const [e0, s0] = [await scrape(edgeAdmin), await scrape(sideAdmin)];
      const [pe0, ps0] = [procStat(edge.pid), procStat(sidecar.pid)];
      const t0 = Date.now();
      await sleep(IDLE_S * 1000);
      const [e1, s1] = [await scrape(edgeAdmin), await scrape(sideAdmin)];
      const [pe1, ps1] = [procStat(edge.pid), procStat(sidecar.pid)];
      const idleS = (Date.now() - t0) / 1000;
      const idle = {
        edge: { consul_rps: (e1.requests - e0.requests) / idleS, blocking: e1.blocking, cpu_pct: (100 * (pe1.cpuMs - pe0.cpuMs)) / (idleS * 1000), rss_mb: pe1.rssMb },
        sidecar: { consul_rps: (s1.requests - s0.requests) / idleS, blocking: s1.blocking, cpu_pct: (100 * (ps1.cpuMs - ps0.cpuMs)) / (idleS * 1000), rss_mb: ps1.rssMb },
      };
      log(`idle ${idleS.toFixed(0)} s: ${JSON.stringify(idle)}`);

      // health changes: one instance at a time flips (critical, later back), the edge's pool must follow
      const down = new Set();
      const latencies = [];
      let missed = 0;
      for (let c = 0; c < CHANGES; c++) {
        const i = Math.floor(Math.random() * SERVICES);
        const k = Math.floor(Math.random() * INSTANCES);
        const key = inst(i, k);
        const goingDown = !down.has(key);
        const healthyAfter = INSTANCES - [...down].filter((d) => d.startsWith(`${svc(i)}-`)).length + (goingDown ? -1 : 1);
        const seenBefore = (pools.get(`connect/${svc(i)}`) ?? []).length;
        const sent = Date.now();
        await consulPut(consul, '/catalog/register', { ...registration(i, k, goingDown ? 'critical' : 'passing'), Service: undefined });
        if (goingDown) down.add(key); else down.delete(key);
        const seen = () => (pools.get(`connect/${svc(i)}`) ?? []).slice(seenBefore).find((p) => p.count === healthyAfter);
        if ((await waitFor(() => seen() !== undefined, { timeoutMs: CHANGE_TIMEOUT_MS, intervalMs: 2 })).ok) latencies.push(Math.max(0, seen().at - sent));
        else { missed++; latencies.push(CHANGE_TIMEOUT_MS); }
        await sleep(20);
      }
      latencies.sort((a, b) => a - b);
      const result = {
        date: new Date().toISOString(), services: SERVICES, instances: SERVICES * INSTANCES,
        watches: idle.edge.blocking + idle.sidecar.blocking,
        consul_rps_idle: Number((idle.edge.consul_rps + idle.sidecar.consul_rps).toFixed(3)),
        cpu_idle_pct: Number((idle.edge.cpu_pct + idle.sidecar.cpu_pct).toFixed(2)),
        rss_mb: Number((idle.edge.rss_mb + idle.sidecar.rss_mb).toFixed(1)),
        change_p50_ms: pct(latencies, 50), change_p99_ms: pct(latencies, 99),
        changes: CHANGES, changes_missed: missed, change_timeout_ms: CHANGE_TIMEOUT_MS, first_pools_s: Number(firstPoolsS.toFixed(1)),
        per_agent: idle, upstreams: UPSTREAMS, machine: `${(await import('node:os')).cpus().length} cores, shared (load ${(await import('node:os')).loadavg()[0].toFixed(1)})`,
      };
      log(JSON.stringify(result, null, 1));
      writeResults(opt.out, result, log);
      return 0;
    } finally {
      stopFollow();
    }
  } finally {
    await consul.stop();
  }
}

runBench(main);
