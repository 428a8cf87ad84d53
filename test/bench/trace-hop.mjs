// Micro-benchmark: what tracing costs one hop outside the network, per request: the hop's trace
// started, routed, one attempt (its traceparent made), ended; at sampling ratios 0.01 (almost
// every request unsampled: no OTel span) and 1 (every request a server and a client span, queued
// for export to a collector that is not there). A benchmark, not a test: it asserts nothing.
// Needs dist/ (npm run build). Usage: node test/bench/trace-hop.mjs [--n 300000] [--rounds 5]
import pino from 'pino';
import { MeshTracer } from '../../dist/agent/observe/trace/tracer.js';
import { TRACING_DEFAULTS } from '../../dist/agent/observe/trace/tracing-settings.js';

const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const N = arg('n', 300_000);
const ROUNDS = arg('rounds', 5);
const req = { method: 'GET', path: '/api/v1/users/1', host: 'api.example.com', peerAddress: '127.0.0.1', userAgent: 'wrk', traceparent: undefined, tracestate: undefined, trustedPeer: false };

function hop(t) {
  const h = t.startHop(req);
  h.routed('users', 'users', '/api/v1/users');
  h.attemptStart(1, '10.0.0.1:21000', 'GET');
  h.attemptEnd(200);
  h.finish(200);
}

for (const ratio of [0.01, 1]) {
  const t = new MeshTracer('edge', { ...TRACING_DEFAULTS, endpoint: 'http://127.0.0.1:9/v1/traces', samplingRatio: ratio, maxQueueEntries: 1000, sendTimeoutMs: 200 }, pino({ level: 'silent' }), { inc() {} });
  for (let i = 0; i < N / 3; i++) hop(t);
  const per = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) hop(t);
    per.push(Number(process.hrtime.bigint() - t0) / N);
  }
  per.sort((a, b) => a - b);
  process.stdout.write(`sampling ${ratio}: ${per[Math.floor(per.length / 2)].toFixed(0)} ns per hop (median of ${ROUNDS} × ${N})\n`);
  await t.shutdown();
}
