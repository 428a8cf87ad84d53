#!/usr/bin/env node
// What tracing costs an edge: three meshgate edges on the same decK service, measured side by
// side in interleaved rounds (warm-up, then per round each edge's settle + measured wrk run):
//   off    no opentelemetry plugin (tracing compiled out: null hooks)
//   1%     Kong's opentelemetry plugin, sampling_rate 0.01           target >= 0.90 x off
//   100%   sampling_rate 1 (every request: a server and a client span exported)
// Spans go to a real OTLP/HTTP endpoint (a sink in this process that drains and counts export
// requests), so the exporter's work is measured too. Pinning: the edges on CPU 1; wrk and the
// upstream on CPU 0. A benchmark: it checks the setup (spans arrive, trace headers answer), never
// the timing. See test/bench/README.md.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { deckConf, nginxUpstreamConf } from './lib/configs.mjs';
import { freePorts, waitForStatus } from './lib/net.mjs';
import { PROXY_NODE, installCleanupHandlers, isStopping, makeTempDir, runBench, startChild, tailLog, writeResults } from './lib/proc.mjs';
import { pairedRatio } from './lib/stats.mjs';
import { runWrk, settledRun, settleText } from './lib/wrk.mjs';
import { fmt, fmtInt, median, request, waitQuiet, which } from './lib/scenarios-lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const LOAD_CPU = 0;
const PROXY_CPU = 1;
const EDGES = [
  { key: 'off', rate: null },
  { key: 'sampled-1pct', rate: 0.01 },
  { key: 'sampled-100pct', rate: 1 },
];

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      rounds: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, settle: { type: 'string' },
      connections: { type: 'string' }, quick: { type: 'boolean' }, out: { type: 'string' }, 'quiet-wait': { type: 'string' },
    },
  });
  const q = !!values.quick;
  const num = (v, def) => (v === undefined ? def : Number(v));
  return {
    rounds: num(values.rounds, q ? 1 : 3), duration: num(values.duration, q ? 3 : 8), warmup: num(values.warmup, q ? 2 : 3),
    settle: num(values.settle, q ? 1 : 2), connections: num(values.connections, 50), quietWait: num(values['quiet-wait'], q ? 5 : 20),
    out: path.resolve(values.out ?? path.join(HERE, 'results', 'tracing.json')),
  };
}

/** decK file: one service, route /; with `rate` the opentelemetry plugin sending to `otlp`. */
function deck(dir, key, upstreamPort, rate, otlp) {
  const plugin = rate === null ? '' : `plugins:
  - name: opentelemetry
    config:
      traces_endpoint: ${otlp}
      sampling_rate: ${rate}
      http_response_header_for_traceid: x-trace-id
`;
  return deckConf(dir, { upstreamPort, name: `edge-${key}`, extra: plugin });
}

/** A real OTLP/HTTP endpoint that takes every export (drained, counted, not decoded). */
async function startOtlpSink() {
  const sink = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (c) => { sink.bytes += c.length; });
    req.on('end', () => { sink.requests++; res.writeHead(200, { 'content-type': 'application/json' }).end('{}'); });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${server.address().port}/v1/traces`;
  sink.close = () => { server.closeAllConnections(); server.close(); };
  return sink;
}

async function main() {
  const opts = parseCli(process.argv.slice(2));
  installCleanupHandlers();
  const log = (s) => process.stdout.write(`${s}\n`);
  const wrkBin = which('wrk', '/usr/bin/wrk');
  const nginx = which('nginx', '/usr/sbin/nginx');
  if (!wrkBin) { log('wrk not found (bash deploy/setup/install-bench-tools.sh)'); return 1; }
  const bin = path.join(ROOT, 'bin', 'meshgate.js');
  if (!fs.existsSync(path.join(ROOT, 'dist', 'agent', 'main.js'))) { log('dist/ missing: npm run build'); return 1; }
  const dir = makeTempDir('meshgate-bench-tracing-');
  const start = (name, argv, cpu) => startChild(name, argv, { log: path.join(dir, `${name}.log`), cwd: ROOT, cpu });
  const sink = await startOtlpSink();
  try {
    const [upPort] = await freePorts(1);
    const up = nginx
      ? start('upstream', [nginx, '-p', dir, '-c', nginxUpstreamConf(dir, { port: upPort }), '-e', path.join(dir, 'upstream-error.log')], LOAD_CPU)
      : start('upstream', [process.execPath, path.join(HERE, 'upstream.mjs'), '--listen', `127.0.0.1:${upPort}`], LOAD_CPU);
    if (!(await waitForStatus(`http://127.0.0.1:${upPort}/`, { timeoutMs: 10000 })).ok) throw new Error(`upstream did not start: ${tailLog(up.log)}`);
    const edges = [];
    for (const e of EDGES) {
      const [port, admin] = await freePorts(2);
      const h = start(`edge-${e.key}`, [...PROXY_NODE, bin, 'agent', '--config', deck(dir, e.key, upPort, e.rate, sink.url), '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`], PROXY_CPU);
      if (!(await waitForStatus(`http://127.0.0.1:${port}/`, { timeoutMs: 20000 })).ok) throw new Error(`edge ${e.key} did not start: ${tailLog(h.log)}`);
      edges.push({ ...e, url: `http://127.0.0.1:${port}/` });
    }
    // setup checks: traced edges answer with a trace id, the untraced one does not; spans arrive
    for (const e of edges) {
      const r = await request(e.url);
      const traced = typeof r.headers?.['x-trace-id'] === 'string';
      if (r.status !== 200 || traced !== (e.rate !== null)) throw new Error(`edge ${e.key}: status ${r.status}, x-trace-id ${r.headers?.['x-trace-id']}`);
    }
    const run = (e) => (s) => runWrk({ url: e.url, connections: opts.connections, durationS: s, cpu: LOAD_CPU, wrkBin });
    log(`warm-up: ${opts.warmup} s per edge`);
    for (const e of edges) await run(e)(opts.warmup);
    const runs = [];
    for (let round = 1; round <= opts.rounds && !isStopping(); round++) {
      for (const e of edges) {
        await waitQuiet({ boundMs: opts.quietWait * 1000 });
        const before = sink.requests;
        const r = await settledRun(run(e), opts.settle, opts.duration);
        runs.push({ round, key: e.key, ok: r.ok, rps: r.rps, p50: r.p50, p99: r.p99, cpu: r.cpu, settle: r.settle, exports: sink.requests - before, ...(r.ok ? {} : { error: r.error }) });
        log(`round ${round} ${e.key.padEnd(15)} ${r.ok ? `${fmtInt(r.rps)} req/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  CPU0 ${fmt(r.cpu?.cpu0, 0)}% CPU1 ${fmt(r.cpu?.cpu1, 0)}%  other processes ${fmt(r.cpu?.foreign, 0)}%  OTLP exports ${sink.requests - before}${settleText(r)}` : r.error}`);
      }
    }
    const summary = edges.map((e) => {
      const mine = runs.filter((r) => r.key === e.key && r.ok);
      return { key: e.key, samplingRate: e.rate, rpsMedian: median(mine.map((r) => r.rps)), p99Median: median(mine.map((r) => r.p99)), vsOff: e.key === 'off' ? 1 : pairedRatio(runs, e.key, 'off').median };
    });
    log('\n| edge | sampling | req/s (median) | p99 ms | × off (paired) |\n|---|---|---|---|---|');
    for (const s of summary) log(`| ${s.key} | ${s.samplingRate ?? 'off'} | ${fmtInt(s.rpsMedian)} | ${fmt(s.p99Median)} | ${fmt(s.vsOff)} |`);
    const fullExports = runs.filter((r) => r.key === 'sampled-100pct').map((r) => r.exports);
    if (!fullExports.some((n) => n > 0)) throw new Error('the 100 % edge exported nothing: the measurement would not include export work');
    const onePct = summary.find((s) => s.key === 'sampled-1pct').vsOff;
    log(`\n1 % sampling vs off: ${fmt(onePct)} (target >= 0.90: ${onePct >= 0.9 ? 'met' : 'NOT met'}); spans exported in ${sink.requests} OTLP requests (${fmtInt(sink.bytes)} bytes)`);
    writeResults(opts.out, { date: new Date().toISOString(), opts, upstream: nginx ? 'nginx' : 'node', summary, runs, otlp: { requests: sink.requests, bytes: sink.bytes } }, log);
    return 0;
  } finally {
    sink.close();
  }
}

runBench(main);
