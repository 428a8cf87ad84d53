// Micro-benchmark: the per-request cost of the edge's canonical request (agent/table/normalize-path.ts
// and agent/edge/canonical-host.ts) on a few path shapes. It is a benchmark, not a test: it asserts
// nothing. Needs dist/ (npm run build). Usage: node test/bench/canonical-path.mjs [--ms 300] [--rounds 5]
import { performance } from 'node:perf_hooks';
import { compilePathNormalizer, EDGE_PATH_POLICY } from '../../dist/agent/table/normalize-path.js';
import { canonicalHost } from '../../dist/agent/edge/canonical-host.js';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const MS = arg('ms', 300);
const ROUNDS = arg('rounds', 5);

const normalize = compilePathNormalizer(EDGE_PATH_POLICY);
const CASES = [
  ['path, already canonical (fast path)', () => normalize('/api/v1/users/42/orders')],
  ['path with %XX and a dot segment', () => normalize('/api/v1/%7Euser/./orders/%c3%a9')],
  ['path with "//" and ";" parameters', () => normalize('/api//v1/users;v=2/orders//')],
  ['Host, already canonical', () => canonicalHost('api.example.com', '80')],
  ['Host with case and default port', () => canonicalHost('API.Example.com:80', '80')],
];

/** ns per call: the best of ROUNDS timed loops of ~MS each (the best is the least disturbed by a shared machine) */
function measure(fn) {
  let sink = 0;
  let best = Infinity;
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < MS) {
      for (let i = 0; i < 10000; i++) sink += fn()?.length ?? 0;
      n += 10000;
      now = performance.now();
    }
    best = Math.min(best, ((now - start) * 1e6) / n);
  }
  if (sink === 42) console.log('');
  return best;
}

const rows = CASES.map(([what, fn]) => ({ what, ns: measure(fn) }));
console.log(`canonical request micro-bench, ${new Date().toISOString()}, node ${process.version}, best of ${ROUNDS} x ${MS} ms`);
for (const r of rows) console.log(`${r.what.padEnd(40)} ${r.ns.toFixed(1).padStart(8)} ns/call`);
