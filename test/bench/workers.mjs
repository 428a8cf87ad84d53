#!/usr/bin/env node
// Workers: one meshgate edge on N processes vs nginx with N worker processes, on the same cores,
// measured side by side in interleaved rounds (warm-up, then per round each contestant's settle +
// measured wrk run):
//   meshgate-w1 / meshgate-w2   --workers 1 / 2, a plain route          scaling = w2 / w1
//   nginx-w1 / nginx-w2         worker_processes 1 / 2                  scaling = w2 / w1
//   meshgate-*-limited          the same edges, a route with local rate-limiting (a limit never
//                               reached): with workers every request asks the primary over IPC
// Every contestant, wrk and the upstream share the cores in CORES (a 2-core machine has no spare
// core for the load generator, so scaling here is bounded by the machine, not only by the proxy).
// A benchmark: it checks the setup (both workers answer), never the timing. See test/bench/README.md.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { nginxProxyConf, nginxUpstreamConf } from './lib/configs.mjs';
import { freePorts, waitForStatus } from './lib/net.mjs';
import { PROXY_NODE, installCleanupHandlers, isStopping, makeTempDir, runBench, startChild, tailLog, writeResults } from './lib/proc.mjs';
import { pairedRatio } from './lib/stats.mjs';
import { runWrk, settledRun, settleText } from './lib/wrk.mjs';
import { fmt, fmtInt, median, request, waitQuiet, which } from './lib/scenarios-lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      rounds: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, settle: { type: 'string' }, cores: { type: 'string' },
      connections: { type: 'string' }, quick: { type: 'boolean' }, out: { type: 'string' }, 'quiet-wait': { type: 'string' },
    },
  });
  const q = !!values.quick;
  const num = (v, def) => (v === undefined ? def : Number(v));
  return {
    rounds: num(values.rounds, q ? 1 : 3), duration: num(values.duration, q ? 3 : 8), warmup: num(values.warmup, q ? 2 : 3),
    settle: num(values.settle, q ? 1 : 2), connections: num(values.connections, 100), quietWait: num(values['quiet-wait'], q ? 5 : 20),
    cores: values.cores ?? '0,1', out: path.resolve(values.out ?? path.join(HERE, 'results', 'workers.json')),
  };
}

/** decK file: route / plain, route /limited with a local rate limit far above any rate measured. */
function deck(dir, name, upstreamPort) {
  const file = path.join(dir, `${name}.yml`);
  fs.writeFileSync(file, `_format_version: "3.0"
services:
  - name: bench
    url: http://127.0.0.1:${upstreamPort}
    routes: [{ name: bench, paths: ["/"] }]
  - name: limited
    url: http://127.0.0.1:${upstreamPort}
    routes: [{ name: limited, paths: ["/limited"], strip_path: false }]
    plugins: [{ name: rate-limiting, config: { second: 1000000000, policy: local } }]
`);
  return file;
}

async function main() {
  const opts = parseCli(process.argv.slice(2));
  installCleanupHandlers();
  const log = (s) => process.stdout.write(`${s}\n`);
  const wrkBin = which('wrk', '/usr/bin/wrk');
  const nginx = which('nginx', '/usr/sbin/nginx');
  if (!wrkBin || !nginx) { log('wrk and nginx are needed (bash deploy/setup/install-bench-tools.sh)'); return 1; }
  const bin = path.join(ROOT, 'bin', 'meshgate.js');
  if (!fs.existsSync(path.join(ROOT, 'dist', 'agent', 'main.js'))) { log('dist/ missing: npm run build'); return 1; }
  const dir = makeTempDir('meshgate-bench-workers-');
  const cpu = opts.cores;
  const start = (name, argv) => startChild(name, argv, { log: path.join(dir, `${name}.log`), cwd: ROOT, cpu });
  const [upPort] = await freePorts(1);
  const up = start('upstream', [nginx, '-p', dir, '-c', nginxUpstreamConf(dir, { port: upPort }), '-e', path.join(dir, 'upstream-error.log')]);
  if (!(await waitForStatus(`http://127.0.0.1:${upPort}/`, { timeoutMs: 10000 })).ok) throw new Error(`upstream did not start: ${tailLog(up.log)}`);
  const contestants = [];
  for (const n of [1, 2]) {
    const [port, admin] = await freePorts(2);
    const h = start(`meshgate-w${n}`, [...PROXY_NODE, bin, 'agent', '--config', deck(dir, `edge-w${n}`, upPort), '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`, '--workers', String(n)]);
    if (!(await waitForStatus(`http://127.0.0.1:${admin}/ready`, { timeoutMs: 30000 })).ok) throw new Error(`meshgate --workers ${n} did not start: ${tailLog(h.log)}`);
    contestants.push({ key: `meshgate-w${n}`, url: `http://127.0.0.1:${port}/`, admin: `http://127.0.0.1:${admin}` });
    contestants.push({ key: `meshgate-w${n}-limited`, url: `http://127.0.0.1:${port}/limited`, admin: `http://127.0.0.1:${admin}` });
  }
  for (const n of [1, 2]) {
    const [port] = await freePorts(1);
    const h = start(`nginx-w${n}`, [nginx, '-p', dir, '-c', nginxProxyConf(dir, { port, upstreamPort: upPort, name: `nginx-w${n}`, keepalive: 256, workers: n }), '-e', path.join(dir, `nginx-w${n}-error.log`)]);
    if (!(await waitForStatus(`http://127.0.0.1:${port}/`, { timeoutMs: 10000 })).ok) throw new Error(`nginx ${n} did not start: ${tailLog(h.log)}`);
    contestants.push({ key: `nginx-w${n}`, url: `http://127.0.0.1:${port}/` });
  }
  for (const c of contestants) {
    const r = await request(c.url);
    if (r.status !== 200) throw new Error(`${c.key}: status ${r.status}`);
  }
  const run = (c) => (s) => runWrk({ url: c.url, connections: opts.connections, durationS: s, cpu, wrkBin });
  log(`warm-up: ${opts.warmup} s per contestant and process; cores ${cpu}; ${opts.connections} connections`);
  // every meshgate worker warms up (JIT, upstream connections) by itself: N workers get N × the warm-up
  for (const c of contestants) await run(c)(opts.warmup * (c.key.startsWith('meshgate-w2') ? 2 : 1));
  // setup check: with --workers 2 both workers served
  const w2 = JSON.parse((await request(`${contestants.find((c) => c.key === 'meshgate-w2').admin}/status`)).body);
  if (w2.workers.length !== 2 || !w2.workers.every((w) => w.requests > 0)) throw new Error(`meshgate --workers 2: ${JSON.stringify(w2.workers)}`);
  const runs = [];
  for (let round = 1; round <= opts.rounds && !isStopping(); round++) {
    for (const c of contestants) {
      await waitQuiet({ boundMs: opts.quietWait * 1000 });
      const r = await settledRun(run(c), opts.settle, opts.duration);
      runs.push({ round, key: c.key, ok: r.ok, rps: r.rps, p50: r.p50, p99: r.p99, cpu: r.cpu, settle: r.settle, ...(r.ok ? {} : { error: r.error }) });
      log(`round ${round} ${c.key.padEnd(22)} ${r.ok ? `${fmtInt(r.rps)} req/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  CPU0 ${fmt(r.cpu?.cpu0, 0)}% CPU1 ${fmt(r.cpu?.cpu1, 0)}%  other processes ${fmt(r.cpu?.foreign, 0)}%${settleText(r)}` : r.error}`);
    }
  }
  const med = (key) => median(runs.filter((r) => r.key === key && r.ok).map((r) => r.rps));
  const ratio = (a, b) => pairedRatio(runs, a, b).median;
  const summary = {
    rps: Object.fromEntries(contestants.map((c) => [c.key, med(c.key)])),
    p99: Object.fromEntries(contestants.map((c) => [c.key, median(runs.filter((r) => r.key === c.key && r.ok).map((r) => r.p99))])),
    meshgateScaling: ratio('meshgate-w2', 'meshgate-w1'), nginxScaling: ratio('nginx-w2', 'nginx-w1'),
    w2VsNginxW2: ratio('meshgate-w2', 'nginx-w2'), w1VsNginxW1: ratio('meshgate-w1', 'nginx-w1'),
    limitedVsPlainW1: ratio('meshgate-w1-limited', 'meshgate-w1'), limitedVsPlainW2: ratio('meshgate-w2-limited', 'meshgate-w2'),
  };
  log('\n| contestant | req/s (median) | p99 ms |\n|---|---:|---:|');
  for (const c of contestants) log(`| ${c.key} | ${fmtInt(summary.rps[c.key])} | ${fmt(summary.p99[c.key])} |`);
  log(`\nscaling 2/1 (paired): meshgate ${fmt(summary.meshgateScaling)}, nginx ${fmt(summary.nginxScaling)}; meshgate/nginx: 1 worker ${fmt(summary.w1VsNginxW1)}, 2 workers ${fmt(summary.w2VsNginxW2)}`);
  log(`local rate-limiting route / plain route: 1 worker ${fmt(summary.limitedVsPlainW1)} (in process), 2 workers ${fmt(summary.limitedVsPlainW2)} (counted by the primary over IPC)`);
  writeResults(opts.out, { date: new Date().toISOString(), opts, summary, runs }, log);
  return 0;
}

runBench(main);
