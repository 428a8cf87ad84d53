#!/usr/bin/env node
// HTTP/2 against HTTP/1.1 on one meshgate edge, in one run: the same TLS listener, the same ECDSA
// P-256 certificate, the same fixed-response nginx upstream; rounds alternate wrk (HTTP/1.1
// keep-alive over TLS, --connections connections) and h2load (--clients connections × --streams
// concurrent streams), and the result is the median of the per-round ratios h2 / h1, which holds
// up on a shared machine better than medians taken apart. Each run also reports the edge process's
// CPU time per answered request (user + system from /proc, over the whole run): on a machine
// where other work takes the edge's core, req/s follows the neighbours, CPU per request much less.
// The edge on CPU 1, the clients and the upstream on CPU 0 (as tls.mjs). It asserts nothing.
//   node test/bench/h2-vs-h1.mjs [--duration 5] [--rounds 5] [--connections 50] [--clients 5] [--streams 100] [--meshgate DIR] [--h2-only|--h1-only] [--out FILE]
// --meshgate DIR runs the edge from another built checkout (an A/B against a base commit).
// --h2-only skips wrk, --h1-only skips h2load (for a profile of one path alone).
// BENCH_EDGE_ARGS adds arguments for the edge's node (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeBenchCert, nginxUpstreamConf } from './lib/configs.mjs';
import { freePorts, waitFor, httpGet } from './lib/net.mjs';
import { PROXY_NODE, installCleanupHandlers, makeTempDir, runBench, runBounded, startChild, stopChild, writeResults } from './lib/proc.mjs';
import { runWrk } from './lib/wrk.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const { values } = parseArgs({ options: {
  duration: { type: 'string', default: '5' }, rounds: { type: 'string', default: '5' },
  connections: { type: 'string', default: '50' }, clients: { type: 'string', default: '5' }, streams: { type: 'string', default: '100' },
  'h2-only': { type: 'boolean', default: false }, 'h1-only': { type: 'boolean', default: false }, meshgate: { type: 'string', default: ROOT },
  out: { type: 'string', default: path.join(ROOT, 'test/bench/results/h2-vs-h1.json') },
} });
const [durationS, rounds, connections, clients, streams] = ['duration', 'rounds', 'connections', 'clients', 'streams'].map((k) => Number(values[k]));

/** h2load over TLS (ALPN h2): req/s and failed requests, or an error text */
async function runH2load(url) {
  const argv = ['h2load', '-c', String(clients), '-m', String(streams), '-D', String(durationS), url];
  const r = await runBounded(argv, { timeoutMs: (durationS + 30) * 1000, cpu: 0 });
  const rps = /finished in [^,]+, ([0-9.]+) req\/s/.exec(r.stdout);
  const failed = /requests: .*?(\d+) failed/.exec(r.stdout);
  const done = /requests: .*?(\d+) succeeded/.exec(r.stdout);
  if (!rps) return { ok: false, error: (r.stdout + r.stderr).slice(-300) };
  return { ok: true, rps: Number(rps[1]), failed: Number(failed?.[1] ?? 0), requests: Number(done?.[1] ?? 0) };
}

/** user + system CPU microseconds of a process so far (/proc/PID/stat fields 14 and 15, in clock ticks of 10 ms) */
function cpuMicros(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

/** a run with the edge's CPU per answered request (µs) */
async function measured(pid, run) {
  const before = cpuMicros(pid);
  const r = await run();
  const used = cpuMicros(pid) - before;
  return { ...r, cpuUsPerReq: r.ok && r.requests ? Math.round((used / r.requests) * 10) / 10 : null };
}

async function main() {
  installCleanupHandlers();
  const dir = makeTempDir('meshgate-bench-h2-');
  const cert = makeBenchCert(dir);
  const [upstreamPort, edgePort, edgeTlsPort, adminPort] = await freePorts(4);
  startChild('upstream', ['nginx', '-c', nginxUpstreamConf(dir, { port: upstreamPort })], { log: path.join(dir, 'upstream.log'), cpu: 0 });
  const deck = path.join(dir, 'edge.yml');
  fs.writeFileSync(deck, JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'bench', url: `http://127.0.0.1:${upstreamPort}`, routes: [{ name: 'bench', paths: ['/'] }] }],
    certificates: [{ cert: fs.readFileSync(cert.certFile, 'utf8'), key: fs.readFileSync(cert.keyFile, 'utf8'), snis: ['bench.test'] }],
  }));
  const extra = (process.env.BENCH_EDGE_ARGS ?? '').split(' ').filter(Boolean);
  const edge = startChild('edge', [...PROXY_NODE, ...extra, path.join(values.meshgate, 'bin/meshgate.js'), 'agent', '--config', deck, '--listen', `127.0.0.1:${edgePort}`,
    '--listen-tls', `127.0.0.1:${edgeTlsPort}`, '--admin', `127.0.0.1:${adminPort}`], { log: path.join(dir, 'edge.log'), cwd: values.meshgate, cpu: 1 });
  await waitFor(async () => (await httpGet(`http://127.0.0.1:${adminPort}/ready`)).status === 200, { timeoutMs: 20_000 });
  await waitFor(async () => (await httpGet(`http://127.0.0.1:${upstreamPort}/`)).status === 200, { timeoutMs: 10_000 });

  const url = `https://127.0.0.1:${edgeTlsPort}/`;
  const h1 = [], h2 = [], ratios = [], h1Cpu = [], h2Cpu = [], cpuRatios = [];
  for (let r = 0; r < rounds; r++) {
    const w = values['h2-only'] ? { ok: false, error: 'skipped (--h2-only)' } : await measured(edge.pid, () => runWrk({ url, connections, durationS, cpu: 0 }));
    const h = values['h1-only'] ? { ok: false, error: 'skipped (--h1-only)' } : await measured(edge.pid, () => runH2load(url));
    const a = w.ok ? Math.round(w.rps) : null, b = h.ok ? Math.round(h.rps) : null;
    h1.push(a); h2.push(b); h1Cpu.push(w.cpuUsPerReq ?? null); h2Cpu.push(h.cpuUsPerReq ?? null);
    if (a && b) ratios.push(b / a);
    if (w.cpuUsPerReq && h.cpuUsPerReq) cpuRatios.push(w.cpuUsPerReq / h.cpuUsPerReq);
    console.log(`round ${r + 1} h1 ${w.ok ? `${a} req/s, ${w.cpuUsPerReq} µs CPU/req, errors ${JSON.stringify(w.errors ?? {})}` : w.error}  h2 ${h.ok ? `${b} req/s, ${h.cpuUsPerReq} µs CPU/req, failed ${h.failed}` : h.error}`);
  }
  const median = (xs) => { const v = xs.filter((x) => x !== null).sort((p, q) => p - q); return v.length ? v[Math.floor(v.length / 2)] : null; };
  const summary = {
    date: new Date().toISOString(), loadavg: (await import('node:os')).default.loadavg(), durationS, rounds, connections, clients, streams,
    h1_median: median(h1), h2_median: median(h2), h2_over_h1_median_ratio: ratios.length ? Math.round(median(ratios) * 100) / 100 : null,
    ratios: ratios.map((x) => Math.round(x * 100) / 100), h1, h2,
    // h1 CPU per request over h2's: above 1 means an h2 request costs the edge less CPU than an h1 one
    h1_cpu_over_h2_cpu_median_ratio: cpuRatios.length ? Math.round(median(cpuRatios) * 100) / 100 : null,
    h1_cpu_us_per_req: h1Cpu, h2_cpu_us_per_req: h2Cpu,
  };
  console.log(JSON.stringify(summary));
  if (extra.length) await stopChild(edge, 10_000); // let --cpu-prof write its profile
  writeResults(values.out, summary, console.log);
  return 0;
}

runBench(main);
