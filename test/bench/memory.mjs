#!/usr/bin/env node
// Memory bounds, measured (a benchmark, not a test; the memory rows of issue 17):
//   load     resident memory at full load (wrk, 200 connections): each worker of an edge with
//            --workers N (default 2) and its primary, and a one-process edge. Goal: <= 100 MB a worker.
//   idle     10,000 keep-alive clients that were answered once and wait, on a one-process edge:
//            the RSS they add. Goal: <= 150 MB.
//   stream   a 1 GiB body streamed through edge -> sidecar (Consul Connect mTLS) -> upstream, as a
//            request body and as a response body: the RSS each proxy adds over its RSS just before
//            (VmRSS sampled every 100 ms). Goal: <= 64 MB.
// A proxy under load is pinned to CPU 1 and the load to CPU 0, except the N-worker edge, which has
// both cores with wrk and the upstream. It checks the setup (both workers answer, every byte
// arrives), never the numbers. Prints a table and writes JSON (test/bench/results/memory.json).
//   node test/bench/memory.mjs [--workers 2] [--duration 10] [--idle 10000] [--body-mib 1024] [--out FILE]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { meshEdgeConf, nginxUpstreamConf, sidecarConf } from './lib/configs.mjs';
import { foreignLoad } from './lib/cpu.mjs';
import { mib, openIdleConnections, processRssKiB, sampleRss } from './lib/memory.mjs';
import { freePorts, sleep, waitForStatus } from './lib/net.mjs';
import { PROXY_NODE, installCleanupHandlers, makeTempDir, runBench, startChild, stopChild, tailLog, writeResults } from './lib/proc.mjs';
import { findConsul, request, startConsul, which } from './lib/scenarios-lib.mjs';
import { runWrk } from './lib/wrk.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const BIN = path.join(ROOT, 'bin', 'meshgate.js');
const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '2' }, duration: { type: 'string', default: '10' }, idle: { type: 'string', default: '10000' },
    'body-mib': { type: 'string', default: '1024' }, out: { type: 'string', default: path.join(HERE, 'results', 'memory.json') },
  },
});
const WORKERS = Number(values.workers);
const DURATION = Number(values.duration);
const IDLE = Number(values.idle);
const BODY_BYTES = Number(values['body-mib']) * 1024 * 1024;
const LOAD_CONNECTIONS = 200;
/** MB as in the goals (10^6 bytes) */
const mb = (kib) => Math.round((kib * 1024) / 1e5) / 10;
const log = (s) => process.stdout.write(`${s}\n`);

function machine() {
  let commit = 'unknown';
  try { commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { /* not a checkout */ }
  return { cores: os.availableParallelism(), loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100), memTotalMiB: Math.round(os.totalmem() / 2 ** 20), memFreeMiB: Math.round(os.freemem() / 2 ** 20), node: process.version, commit };
}

/**
 * A meshgate file (edge.limits: max_connections for the idle clients) with no mesh: no Consul runs
 * for these rows (the edge's own registration retries in the background, off the request path).
 */
function edgeConfig(dir, name, { port, admin, upstreamPort, maxConnections }) {
  const file = path.join(dir, `${name}.yml`);
  fs.writeFileSync(file, `agent: { node: ${name}, admin: "127.0.0.1:${admin}" }
mesh: { tls: disabled }
edge:
  listen: "127.0.0.1:${port}"
  via_sidecars: false
  limits: { max_connections: ${maxConnections} }
  kong:
    _format_version: "3.0"
    services:
      - name: bench
        url: http://127.0.0.1:${upstreamPort}
        routes: [{ name: bench, paths: ["/"] }]
`);
  return file;
}

async function startEdge(dir, name, { upstreamPort, workers, cpu, maxConnections = 11_000 }) {
  const [port, admin] = await freePorts(2);
  const args = ['agent', '--config', edgeConfig(dir, name, { port, admin, upstreamPort, maxConnections }), ...(workers > 1 ? ['--workers', String(workers)] : [])];
  const h = startChild(name, [...PROXY_NODE, BIN, ...args], { log: path.join(dir, `${name}.log`), cwd: ROOT, cpu });
  if (!(await waitForStatus(`http://127.0.0.1:${admin}/ready`, { timeoutMs: 60_000 })).ok) throw new Error(`${name} did not start: ${tailLog(h.log)}`);
  return { h, url: `http://127.0.0.1:${port}/`, port, admin: `http://127.0.0.1:${admin}` };
}

/** RSS at full load: the peak of each process over a wrk run (after a warm-up of the same load) */
async function loadRow(dir, upstreamPort, workers) {
  const cpu = workers > 1 ? '0,1' : 1;
  const edge = await startEdge(dir, `edge-load-w${workers}`, { upstreamPort, workers, cpu });
  await runWrk({ url: edge.url, connections: LOAD_CONNECTIONS, durationS: 3 * workers, cpu: workers > 1 ? '0,1' : 0 });
  const status = JSON.parse((await request(`${edge.admin}/status`)).body);
  const workerPids = workers > 1 ? status.workers.map((w) => w.pid) : [edge.h.pid];
  if (workers > 1 && !status.workers.every((w) => w.requests > 0)) throw new Error(`not every worker served the warm-up: ${JSON.stringify(status.workers)}`);
  const idleKiB = workerPids.map(processRssKiB);
  const pids = workers > 1 ? [edge.h.pid, ...workerPids] : workerPids;
  const sampler = sampleRss(pids);
  const r = await runWrk({ url: edge.url, connections: LOAD_CONNECTIONS, durationS: DURATION, cpu: workers > 1 ? '0,1' : 0 });
  const peak = sampler.stop();
  await stopChild(edge.h);
  if (!r.ok) throw new Error(`wrk against ${workers} worker(s): ${r.error}`);
  return {
    workers, rps: Math.round(r.rps), p99Ms: r.p99,
    perWorker: workerPids.map((p, i) => ({ pid: p, idleMiB: mib(idleKiB[i]), peakMiB: mib(peak.get(p)), peakMB: mb(peak.get(p)) })),
    ...(workers > 1 ? { primaryPeakMiB: mib(peak.get(edge.h.pid)), primaryPeakMB: mb(peak.get(edge.h.pid)) } : {}),
  };
}

/** The RSS that `count` idle keep-alive clients add to a one-process edge */
async function idleRow(dir, upstreamPort) {
  const edge = await startEdge(dir, 'edge-idle', { upstreamPort, workers: 1, cpu: 1, maxConnections: IDLE + 1000 });
  await runWrk({ url: edge.url, connections: 20, durationS: 2 });
  await sleep(1000);
  const before = processRssKiB(edge.h.pid);
  const idle = await openIdleConnections(edge.port, IDLE);
  await sleep(2000);
  const withIdle = processRssKiB(edge.h.pid);
  const open = idle.open();
  const answered = idle.answered;
  idle.destroy();
  await stopChild(edge.h);
  if (answered < IDLE) throw new Error(`only ${answered} of ${IDLE} idle clients were answered (${open} open)`);
  return { connections: IDLE, open, beforeMiB: mib(before), withMiB: mib(withIdle), addedMiB: mib(withIdle - before), addedMB: mb(withIdle - before), perConnectionKiB: Math.round(((withIdle - before) / IDLE) * 100) / 100 };
}

function upload(url, bytes) {
  const chunk = Buffer.alloc(64 * 1024, 0x62);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': bytes } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => { try { resolve({ status: res.statusCode, received: JSON.parse(text).bodyBytes }); } catch { resolve({ status: res.statusCode, received: null, text: text.slice(0, 300) }); } });
    });
    req.on('error', reject);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
        left -= piece.length;
        if (!req.write(piece)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

function download(url) {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let received = 0;
      res.on('data', (d) => { received += d.length; });
      res.on('end', () => resolve({ status: res.statusCode, received }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** A body streamed through both hops, each proxy's RSS sampled: what it adds over its RSS before */
async function streamed(what, pids, run) {
  const before = new Map(pids.map((p) => [p, processRssKiB(p)]));
  const sampler = sampleRss(pids);
  const started = process.hrtime.bigint();
  const r = await run();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peak = sampler.stop();
  if (r.status !== 200 || r.received !== BODY_BYTES) throw new Error(`${what}: status ${r.status}, ${r.received} of ${BODY_BYTES} bytes ${r.text ?? ''}`);
  const row = (p) => ({ beforeMiB: mib(before.get(p)), peakMiB: mib(peak.get(p)), addedMiB: mib(peak.get(p) - before.get(p)), addedMB: mb(peak.get(p) - before.get(p)) });
  return { what, bytes: BODY_BYTES, seconds: Math.round(seconds * 100) / 100, mibPerSecond: Math.round(BODY_BYTES / 2 ** 20 / seconds), edge: row(pids[0]), sidecar: row(pids[1]) };
}

async function streamRows(dir) {
  const consul = await findConsul(ROOT);
  if (consul.error) throw new Error(consul.error);
  const [up, cHttp, cLan, cWan, cServer, sAdmin, mesh, eAdmin, edgePort] = await freePorts(9);
  startChild('stream-upstream', [process.execPath, path.join(HERE, 'lib', 'stream-upstream.mjs'), '--listen', `127.0.0.1:${up}`], { log: path.join(dir, 'stream-upstream.log'), cpu: 0 });
  const c = await startConsul({ bin: consul.bin, ports: [cHttp, cLan, cWan, cServer], log: path.join(dir, 'consul.log'), cwd: ROOT, cpu: 0 });
  if (!c.ok) throw new Error(`consul not ready: ${c.reason}`);
  const sidecar = startChild('sidecar', [...PROXY_NODE, BIN, 'agent', '--config', sidecarConf(dir, { consulPort: cHttp, adminPort: sAdmin, meshPort: mesh, upstreamPort: up })], { log: path.join(dir, 'sidecar.log'), cwd: ROOT, cpu: 1 });
  const edge = startChild('edge-mesh', [...PROXY_NODE, BIN, 'agent', '--config', meshEdgeConf(dir, { consulPort: cHttp, adminPort: eAdmin, edgePort })], { log: path.join(dir, 'edge-mesh.log'), cwd: ROOT, cpu: 1 });
  const base = `http://127.0.0.1:${edgePort}`;
  for (const url of [`http://127.0.0.1:${sAdmin}/ready`, `http://127.0.0.1:${eAdmin}/ready`, `${base}/`]) {
    if (!(await waitForStatus(url, { timeoutMs: 40_000 })).ok) throw new Error(`not ready: ${url}; logs in ${dir}`);
  }
  // warm-up: the code paths, TLS sessions and buffers a 1 GiB body uses, with 64 MiB each way
  const warm = 64 * 1024 * 1024;
  const wu = await upload(`${base}/upload`, warm);
  const wd = await download(`${base}/bytes?n=${warm}`);
  if (wu.received !== warm || wd.received !== warm) throw new Error(`warm-up: ${JSON.stringify([wu, wd])}`);
  await sleep(1000);
  const pids = [edge.pid, sidecar.pid];
  const rows = [
    await streamed('request body (upload)', pids, () => upload(`${base}/upload`, BODY_BYTES)),
    await streamed('response body (download)', pids, () => download(`${base}/bytes?n=${BODY_BYTES}`)),
  ];
  await Promise.all([stopChild(edge), stopChild(sidecar), stopChild(c.handle)]);
  return rows;
}

async function main() {
  installCleanupHandlers();
  const dir = makeTempDir('meshgate-bench-memory-');
  if (!fs.existsSync(path.join(ROOT, 'dist', 'agent', 'main.js'))) { log('dist/ missing: npm run build'); return 1; }
  const other = await foreignLoad(1500);
  const start = { date: new Date().toISOString(), ...machine(), otherProcessesCpuPct: Math.round(other.foreignPct), otherTop: other.foreignTop };
  log(`memory bench ${start.date}: ${start.cores} cores, load average ${start.loadavg.join(' ')}, other processes ${start.otherProcessesCpuPct}% CPU, node ${start.node}, ${start.commit}`);
  const nginx = which('nginx', '/usr/sbin/nginx');
  const [upPort] = await freePorts(1);
  const upstream = nginx
    ? startChild('upstream', [nginx, '-p', dir, '-c', nginxUpstreamConf(dir, { port: upPort }), '-e', path.join(dir, 'upstream-error.log')], { log: path.join(dir, 'upstream.log'), cpu: 0 })
    : startChild('upstream', [process.execPath, path.join(HERE, 'upstream.mjs'), '--listen', `127.0.0.1:${upPort}`], { log: path.join(dir, 'upstream.log'), cpu: 0 });
  if (!(await waitForStatus(`http://127.0.0.1:${upPort}/`, { timeoutMs: 10000 })).ok) throw new Error(`upstream did not start: ${tailLog(upstream.log)}`);

  const load = [await loadRow(dir, upPort, 1)];
  if (WORKERS > 1) load.push(await loadRow(dir, upPort, WORKERS));
  for (const l of load) log(`load, ${l.workers} worker(s): ${l.rps} req/s; ${l.perWorker.map((w) => `pid ${w.pid} ${w.idleMiB} -> ${w.peakMiB} MiB`).join(', ')}${l.primaryPeakMiB ? `; primary ${l.primaryPeakMiB} MiB` : ''}`);
  const idle = await idleRow(dir, upPort);
  log(`idle: ${idle.connections} connections add ${idle.addedMiB} MiB (${idle.beforeMiB} -> ${idle.withMiB})`);
  await stopChild(upstream);
  const stream = await streamRows(dir);
  for (const s of stream) log(`stream, ${s.what}: ${s.mibPerSecond} MiB/s; edge +${s.edge.addedMiB} MiB, sidecar +${s.sidecar.addedMiB} MiB`);
  const end = machine();

  const yes = (ok) => (ok ? 'yes' : '**no**');
  const w = load.find((l) => l.workers > 1);
  const one = load.find((l) => l.workers === 1);
  log(`\n| row (${start.date.slice(0, 16).replace('T', ' ')} UTC) | measured | goal | met |\n|---|---|---|---|`);
  if (w) log(`| RSS per worker at full load, --workers ${WORKERS} (${LOAD_CONNECTIONS} connections, ${w.rps} req/s) | ${w.perWorker.map((x) => `${x.peakMB} MB`).join(' · ')} (primary ${w.primaryPeakMB} MB) | ≤ 100 MB | ${yes(Math.max(...w.perWorker.map((x) => x.peakMB)) <= 100)} |`);
  log(`| RSS of a one-process edge at full load (${one.rps} req/s) | ${one.perWorker[0].peakMB} MB | ≤ 100 MB | ${yes(one.perWorker[0].peakMB <= 100)} |`);
  log(`| ${idle.connections.toLocaleString('en-US')} idle keep-alive clients, RSS added | ${idle.addedMB} MB (${idle.perConnectionKiB} KiB each) | ≤ 150 MB | ${yes(idle.addedMB <= 150)} |`);
  for (const s of stream) {
    log(`| ${Math.round(s.bytes / 2 ** 20)} MiB ${s.what} edge → sidecar (mTLS), RSS added | edge ${s.edge.addedMB} MB · sidecar ${s.sidecar.addedMB} MB (${s.mibPerSecond} MiB/s) | ≤ 64 MB each | ${yes(s.edge.addedMB <= 64 && s.sidecar.addedMB <= 64)} |`);
  }
  writeResults(path.resolve(values.out), { start, end: { loadavg: end.loadavg, date: new Date().toISOString() }, opts: { workers: WORKERS, durationS: DURATION, idle: IDLE, bodyBytes: BODY_BYTES, connections: LOAD_CONNECTIONS }, load, idle, stream }, log);
  return 0;
}

runBench(main);
