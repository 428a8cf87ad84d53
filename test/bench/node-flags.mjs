#!/usr/bin/env node
// The young-generation A/B behind agent/node-flags.ts: two plain meshgate edges on one nginx
// upstream, A started with V8's defaults (or FLAGS_A), B with meshgate's flags (or FLAGS_B),
// measured in alternating wrk runs with a pause before each (every contestant of the other
// benchmarks idles while the others run). Prints each round and the paired median B/A.
// Pinning as run.mjs: both edges on CPU 1, wrk and nginx on CPU 0. A benchmark: asserts nothing.
//   node test/bench/node-flags.mjs [--rounds 8] [--duration 5] [--pause 2] [--connections 50]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NODE_FLAGS } from '../../dist/agent/node-flags.js';
import { deckConf, nginxUpstreamConf } from './lib/configs.mjs';
import { freePorts, sleep, waitForStatus } from './lib/net.mjs';
import { installCleanupHandlers, isStopping, makeTempDir, runBench, startChild } from './lib/proc.mjs';
import { median } from './lib/stats.mjs';
import { runWrk } from './lib/wrk.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { rounds: { type: 'string' }, duration: { type: 'string' }, pause: { type: 'string' }, connections: { type: 'string' } } });
const rounds = Number(values.rounds ?? 8);
const durationS = Number(values.duration ?? 5);
const pauseMs = Number(values.pause ?? 2) * 1000;
const connections = Number(values.connections ?? 50);
const flags = (env, def) => (env !== undefined ? env.split(' ').filter(Boolean) : def);
const A = flags(process.env.FLAGS_A, []);
const B = flags(process.env.FLAGS_B, [...NODE_FLAGS]);

async function main() {
  installCleanupHandlers();
  const dir = makeTempDir('meshgate-node-flags-');
  const [up, pa, pb, aa, ab] = await freePorts(5);
  startChild('nginx', ['nginx', '-c', nginxUpstreamConf(dir, { port: up })], { log: path.join(dir, 'nginx.log'), cpu: 0 });
  const deck = deckConf(dir, { upstreamPort: up });
  const edge = (name, f, port, admin) => startChild(name, [process.execPath, ...f, path.join(ROOT, 'bin/meshgate.js'), 'agent', '--config', deck,
    '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`], { log: path.join(dir, `${name}.log`), cpu: 1 });
  edge('edge-a', A, pa, aa);
  edge('edge-b', B, pb, ab);
  for (const p of [pa, pb]) await waitForStatus(`http://127.0.0.1:${p}/`, { timeoutMs: 15_000 });
  const run = async (port) => { await sleep(pauseMs); const r = await runWrk({ url: `http://127.0.0.1:${port}/`, connections, durationS }); return r.ok ? r.rps : NaN; };
  for (const p of [pa, pb]) await runWrk({ url: `http://127.0.0.1:${p}/`, connections, durationS: 3 });
  console.log(`A: node ${A.join(' ') || '(V8 defaults)'}\nB: node ${B.join(' ') || '(V8 defaults)'}\n${rounds} rounds x ${durationS} s, ${pauseMs / 1000} s pause before each run, ${connections} connections`);
  const ratios = [];
  for (let i = 0; i < rounds && !isStopping(); i++) {
    const order = i % 2 === 0 ? [pa, pb] : [pb, pa];
    const rps = {};
    for (const p of order) rps[p] = await run(p);
    ratios.push(rps[pb] / rps[pa]);
    console.log(`round ${i + 1}: A ${Math.round(rps[pa])} req/s  B ${Math.round(rps[pb])} req/s  B/A ${(rps[pb] / rps[pa]).toFixed(2)}`);
  }
  console.log(`paired median B/A: ${median(ratios.filter(Number.isFinite)).toFixed(2)}`);
  return 0;
}

await runBench(main);
