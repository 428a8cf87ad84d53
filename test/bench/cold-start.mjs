#!/usr/bin/env node
// The tail after idle: p99/p50 at 200 connections in the first seconds after an idle spell, next
// to the same-length window a few seconds later (steady). Contestants: a plain meshgate edge in
// front of nginx `return 200`, and (unless --no-two-hop) edge -> sidecar (plain HTTP, through a
// Consul dev agent) -> nginx. Pinning as run.mjs: the proxies on CPU 1; wrk, nginx and Consul on
// CPU 0. Per round: every contestant idles `--idle` s, then for each in turn a cold window of
// `--window` s, `--gap` s of load not counted, and a steady window of `--window` s. Both windows
// are new wrk processes, so both open 200 client connections: what differs is only the idle before.
// Before each window it counts the proxies' established upstream connections (ss).
// A benchmark: asserts nothing. See test/bench/README.md ("Cold start").
//   node test/bench/cold-start.mjs [--rounds 3] [--idle 60] [--window 3] [--gap 3] [--warmup 5]
//     [--connections 200] [--no-two-hop] [--ab] [--out FILE]
//   --ab adds `edge-b`, a plain edge started with B_NODE_FLAGS (default: meshgate's) and the
//   environment additions B_ENV ("K=V K2=V2"), for an A/B of a flag or setting in the same rounds.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deckConf, meshEdgeConf, nginxUpstreamConf, sidecarConf } from './lib/configs.mjs';
import { freePorts, sleep, waitForStatus } from './lib/net.mjs';
import { installCleanupHandlers, isStopping, makeTempDir, PROXY_NODE, runBench, startChild, writeResults } from './lib/proc.mjs';
import { findConsul, fmt, fmtInt, startConsul } from './lib/scenarios-lib.mjs';
import { median, ratioOfMedians } from './lib/stats.mjs';
import { runWrk } from './lib/wrk.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'meshgate.js');
const { values } = parseArgs({ options: {
  rounds: { type: 'string' }, idle: { type: 'string' }, window: { type: 'string' }, gap: { type: 'string' },
  warmup: { type: 'string' }, connections: { type: 'string' }, 'no-two-hop': { type: 'boolean' }, ab: { type: 'boolean' }, out: { type: 'string' },
} });
const opt = {
  rounds: Number(values.rounds ?? 3), idleS: Number(values.idle ?? 60), windowS: Number(values.window ?? 3),
  gapS: Number(values.gap ?? 3), warmupS: Number(values.warmup ?? 5), connections: Number(values.connections ?? 200),
  twoHop: !values['no-two-hop'], nodeFlags: PROXY_NODE.slice(1), ab: values.ab ?? false,
  bNodeFlags: process.env.B_NODE_FLAGS?.split(' ').filter(Boolean) ?? PROXY_NODE.slice(1), bEnv: envPairs(process.env.B_ENV ?? ''),
};
/** "K=V K2=V2" -> { K: 'V', K2: 'V2' } */
function envPairs(text) {
  return Object.fromEntries(text.split(' ').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}
const out = values.out ?? path.join(ROOT, 'test', 'bench', 'results', 'cold-start.json');
const log = (s) => console.log(s);

/** Established TCP connections from pid's sockets to 127.0.0.1:port (ss -p). */
function upstreamConnections(pid, port) {
  const r = spawnSync('ss', ['-Htnp', 'state', 'established', 'dst', `127.0.0.1:${port}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l.includes(`pid=${pid},`)).length : null;
}

async function startContestants(dir) {
  const [up, edgePort, edgeAdmin] = await freePorts(3);
  startChild('nginx', ['nginx', '-c', nginxUpstreamConf(dir, { port: up })], { log: path.join(dir, 'nginx.log'), cpu: 0 });
  const edge = startChild('edge', [...PROXY_NODE, BIN, 'agent', '--config', deckConf(dir, { upstreamPort: up }),
    '--listen', `127.0.0.1:${edgePort}`, '--admin', `127.0.0.1:${edgeAdmin}`], { log: path.join(dir, 'edge.log'), cpu: 1 });
  const list = [{ key: 'edge', port: edgePort, hops: [{ name: 'edge', pid: edge.pid, port: up }] }];
  if (opt.ab) {
    // --ab: a second plain edge on the same upstream, with B_NODE_FLAGS and B_ENV, measured in the same rounds
    const [bPort, bAdmin] = await freePorts(2);
    const b = startChild('edge-b', [process.execPath, ...opt.bNodeFlags, BIN, 'agent', '--config', deckConf(dir, { upstreamPort: up, name: 'edge-b-deck' }),
      '--listen', `127.0.0.1:${bPort}`, '--admin', `127.0.0.1:${bAdmin}`], { log: path.join(dir, 'edge-b.log'), cpu: 1, env: { ...process.env, ...opt.bEnv } });
    list.push({ key: 'edge-b', port: bPort, hops: [{ name: 'edge', pid: b.pid, port: up }] });
  }
  if (opt.twoHop) {
    const consul = await findConsul(ROOT);
    if (consul.error) { log(`edge-2hop skipped: ${consul.error}`); } else {
      const [cHttp, cLan, cWan, cServer, sAdmin, mesh, eAdmin, e2Port] = await freePorts(8);
      const c = await startConsul({ bin: consul.bin, ports: [cHttp, cLan, cWan, cServer], log: path.join(dir, 'consul.log'), cwd: dir, cpu: 0 });
      if (!c.ok) throw new Error(`consul: ${c.reason}`);
      const sc = sidecarConf(dir, { consulPort: cHttp, adminPort: sAdmin, meshPort: mesh, upstreamPort: up, mtls: false });
      const side = startChild('sidecar', [...PROXY_NODE, BIN, 'agent', '--config', sc], { log: path.join(dir, 'sidecar.log'), cpu: 1 });
      await waitForStatus(`http://127.0.0.1:${sAdmin}/ready`, { timeoutMs: 30_000 });
      const ec = meshEdgeConf(dir, { consulPort: cHttp, adminPort: eAdmin, edgePort: e2Port, mtls: false });
      const e2 = startChild('edge-mesh', [...PROXY_NODE, BIN, 'agent', '--config', ec], { log: path.join(dir, 'edge-mesh.log'), cpu: 1 });
      list.push({ key: 'edge-2hop', port: e2Port, hops: [{ name: 'edge', pid: e2.pid, port: mesh }, { name: 'sidecar', pid: side.pid, port: up }] });
    }
  }
  for (const c of list) {
    const r = await waitForStatus(`http://127.0.0.1:${c.port}/`, { timeoutMs: 30_000 });
    if (!r.ok) throw new Error(`${c.key} never answered 200: ${r.reason}`);
  }
  return list;
}

async function measure(c, kind, round) {
  const conns = Object.fromEntries(c.hops.map((h) => [h.name, upstreamConnections(h.pid, h.port)]));
  const at = new Date().toISOString();
  const r = await runWrk({ url: `http://127.0.0.1:${c.port}/`, connections: opt.connections, durationS: opt.windowS });
  const run = r.ok
    ? { key: c.key, kind, round, at, ok: true, rps: r.rps, p50: r.p50, p99: r.p99, max: r.max, errors: r.errorCount, upstreamConnsBefore: conns, foreignCpuPct: r.cpu.foreign }
    : { key: c.key, kind, round, at, ok: false, error: r.error, upstreamConnsBefore: conns };
  const txt = run.ok ? `${fmtInt(run.rps)} req/s  p50 ${fmt(run.p50)} ms  p99 ${fmt(run.p99)} ms  p99/p50 ${fmt(run.p99 / run.p50)}` : run.error;
  log(`  ${c.key.padEnd(9)} ${kind.padEnd(6)} ${txt}  (upstream conns before: ${JSON.stringify(conns)}; others ${fmtInt(r.cpu?.foreign)}% CPU)`);
  return run;
}

function summarise(runs, key, kind) {
  const rs = runs.filter((r) => r.key === key && r.kind === kind && r.ok);
  return { runs: rs.length, rps: median(rs.map((r) => r.rps)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)),
    p99OverP50: ratioOfMedians(rs.map((r) => r.p99), rs.map((r) => r.p50)), perRound: rs.map((r) => r.p99 / r.p50) };
}

async function main() {
  installCleanupHandlers();
  const dir = makeTempDir('meshgate-cold-start-');
  log(`cold-start: ${opt.rounds} rounds; idle ${opt.idleS} s; windows of ${opt.windowS} s at ${opt.connections} connections; node ${opt.nodeFlags.join(' ')}`);
  log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${new Date().toISOString()}`);
  const list = await startContestants(dir);
  for (const c of list) await runWrk({ url: `http://127.0.0.1:${c.port}/`, connections: opt.connections, durationS: opt.warmupS });
  const runs = [];
  for (let round = 1; round <= opt.rounds && !isStopping(); round++) {
    log(`round ${round}: idle ${opt.idleS} s`);
    await sleep(opt.idleS * 1000);
    const k = (round - 1) % list.length; // rotate, so no contestant is always the one that idled longest
    for (const c of [...list.slice(k), ...list.slice(0, k)]) {
      if (isStopping()) break;
      runs.push(await measure(c, 'cold', round));
      await runWrk({ url: `http://127.0.0.1:${c.port}/`, connections: opt.connections, durationS: opt.gapS });
      runs.push(await measure(c, 'steady', round));
    }
  }
  const summary = {};
  log('\n| contestant | window | req/s | p50 ms | p99 ms | p99/p50 (median p99 / median p50) | per round |\n|---|---|---|---|---|---|---|');
  for (const c of list) {
    summary[c.key] = {};
    for (const kind of ['cold', 'steady']) {
      const s = summarise(runs, c.key, kind);
      summary[c.key][kind] = s;
      log(`| ${c.key} | ${kind} | ${fmtInt(s.rps)} | ${fmt(s.p50)} | ${fmt(s.p99)} | ${fmt(s.p99OverP50)} | ${s.perRound.map((x) => fmt(x)).join(', ')} |`);
    }
    log(`${c.key} p99/p50 @${opt.connections} conns after ${opt.idleS} s idle: ${fmt(summary[c.key].cold.p99OverP50)} (target <= 3); steady ${fmt(summary[c.key].steady.p99OverP50)}`);
  }
  writeResults(out, { date: new Date().toISOString(), options: opt, loadavg: os.loadavg(), summary, runs }, log);
  return 0;
}

await runBench(main);
