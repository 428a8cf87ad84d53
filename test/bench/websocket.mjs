#!/usr/bin/env node
// WebSocket echo messages per second through two hops, side by side on the same machine and the
// same echo (the sample service's, deploy/demo/ws-echo.mjs): meshgate edge → sidecar (Consul
// Connect mTLS) → echo, and nginx → nginx → echo (plain HTTP between the two nginx, the usual
// WebSocket proxy config); plus one nginx hop and the echo alone for scale. Proxies on CPU 1; the
// load (test/bench/lib/ws-load.mjs: N connections, a window of messages in flight each; ws-h2-load.mjs
// the same over HTTP/2 extended CONNECT, one stream per h2c connection, meshgate only), the echo and
// Consul on CPU 0. Interleaved rounds, medians, ratios. It asserts nothing.
//   node test/bench/websocket.mjs [--duration 5] [--connections 50] [--rounds 3] [--size 64] [--window 4] [--out FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { meshEdgeConf, sidecarConf } from './lib/configs.mjs';
import { freePorts, httpGet, waitFor } from './lib/net.mjs';
import { PROXY_NODE, installCleanupHandlers, makeTempDir, runBench, runBounded, startChild, writeResults } from './lib/proc.mjs';
import { findConsul, startConsul } from './lib/scenarios-lib.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const { values } = parseArgs({ options: {
  duration: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' }, rounds: { type: 'string', default: '3' },
  size: { type: 'string', default: '64' }, window: { type: 'string', default: '4' },
  out: { type: 'string', default: path.join(ROOT, 'test/bench/results/websocket.json') },
} });
const PROXY_CPU = 1;
const LOAD_CPU = 0;

/** nginx proxying WebSocket: `front` → `back` → the echo, one worker (as meshgate's one process per hop). */
function nginxWsConf(dir, { front, back, echo }) {
  const tmp = path.join(dir, 'nginx-ws-tmp');
  fs.mkdirSync(tmp, { recursive: true });
  const location = (to) => `location / {
      proxy_pass http://127.0.0.1:${to};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 300s;
    }`;
  const file = path.join(dir, 'nginx-ws.conf');
  fs.writeFileSync(file, `${process.getuid?.() === 0 ? `user ${os.userInfo().username};` : ''}
worker_processes 1;
daemon off;
pid ${dir}/nginx-ws.pid;
error_log ${dir}/nginx-ws-error.log warn;
events { worker_connections 8192; }
http {
  access_log ${dir}/nginx-ws-access.log combined buffer=64k flush=1s;
  client_body_temp_path ${tmp}; proxy_temp_path ${tmp}; fastcgi_temp_path ${tmp}; uwsgi_temp_path ${tmp}; scgi_temp_path ${tmp};
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server { listen 127.0.0.1:${front}; ${location(back)} }
  server { listen 127.0.0.1:${back}; ${location(echo)} }
}
`);
  return file;
}

/** ws:// URLs load with the `ws` client over HTTP/1.1; http:// ones over HTTP/2 (h2c, RFC 8441) */
async function load(url) {
  const loader = url.startsWith('ws') ? 'ws-load.mjs' : 'ws-h2-load.mjs';
  const r = await runBounded([process.execPath, path.join(ROOT, 'test/bench/lib', loader), url, values.connections, values.duration, values.size, values.window],
    { timeoutMs: (Number(values.duration) + 30) * 1000, cpu: LOAD_CPU });
  try { return JSON.parse(r.stdout.trim().split('\n').pop()); } catch { return { ok: false, error: (r.stderr || r.stdout).slice(-300) }; }
}

async function main() {
  installCleanupHandlers();
  const dir = makeTempDir('meshgate-bench-ws-');
  const consul = await findConsul(ROOT);
  if (consul.error) throw new Error(consul.error);
  const [echo, cHttp, cLan, cWan, cServer, sAdmin, mesh, eAdmin, edgePort, front, back] = await freePorts(11);
  startChild('echo', [process.execPath, path.join(ROOT, 'deploy/demo/sample-service.mjs'), '--port', String(echo), '--name', 'benchsvc', '--instance', 'benchsvc-1'],
    { log: path.join(dir, 'echo.log'), cpu: LOAD_CPU });
  const c = await startConsul({ bin: consul.bin, ports: [cHttp, cLan, cWan, cServer], log: path.join(dir, 'consul.log'), cwd: ROOT, cpu: LOAD_CPU });
  if (!c.ok) throw new Error(`consul not ready: ${c.reason}`);
  const bin = path.join(ROOT, 'bin/meshgate.js');
  startChild('sidecar', [...PROXY_NODE, bin, 'agent', '--config', sidecarConf(dir, { consulPort: cHttp, adminPort: sAdmin, meshPort: mesh, upstreamPort: echo })],
    { log: path.join(dir, 'sidecar.log'), cwd: ROOT, cpu: PROXY_CPU });
  startChild('edge', [...PROXY_NODE, bin, 'agent', '--config', meshEdgeConf(dir, { consulPort: cHttp, adminPort: eAdmin, edgePort, h2c: true })],
    { log: path.join(dir, 'edge.log'), cwd: ROOT, cpu: PROXY_CPU });
  startChild('nginx-ws', ['nginx', '-c', nginxWsConf(dir, { front, back, echo })], { log: path.join(dir, 'nginx.log'), cpu: PROXY_CPU });
  const ok = (r) => r.status === 200;
  for (const url of [`http://127.0.0.1:${echo}/health`, `http://127.0.0.1:${front}/health`, `http://127.0.0.1:${eAdmin}/ready`, `http://127.0.0.1:${edgePort}/health`]) {
    const w = await waitFor(async () => ok(await httpGet(url)), { timeoutMs: 40_000 });
    if (!w.ok) throw new Error(`not ready: ${url} (${w.reason}); logs in ${dir}`);
  }
  const contestants = [
    ['meshgate-2hops', `ws://127.0.0.1:${edgePort}/ws`],
    // the same two hops with the client on HTTP/2 (extended CONNECT over h2c); upstream it is HTTP/1.1 Upgrade
    ['meshgate-2hops-h2', `http://127.0.0.1:${edgePort}/ws`],
    ['nginx-2hops', `ws://127.0.0.1:${front}/ws`],
    ['nginx-1hop', `ws://127.0.0.1:${back}/ws`],
    ['echo-direct', `ws://127.0.0.1:${echo}/ws`],
  ];
  const results = Object.fromEntries(contestants.map(([k]) => [k, []]));
  const rounds = Number(values.rounds);
  for (let r = 0; r < rounds; r++) {
    for (const [key, url] of contestants) {
      const m = await load(url);
      results[key].push(m.ok ? m.messagesPerSec : null);
      console.log(`round ${r + 1} ${key.padEnd(15)} ${m.ok ? `${m.messagesPerSec} msg/s, ${m.open} connections, errors ${m.errors}` : `failed: ${m.error ?? JSON.stringify(m)}`}`);
    }
  }
  const median = (xs) => { const v = xs.filter((x) => x !== null).sort((a, b) => a - b); return v.length ? v[Math.floor(v.length / 2)] : null; };
  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  const ratio = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);
  const summary = {
    date: new Date().toISOString(), durationS: Number(values.duration), connections: Number(values.connections), rounds,
    messageBytes: Number(values.size), window: Number(values.window), medians: m,
    meshgate_vs_nginx_2hops: ratio(m['meshgate-2hops'], m['nginx-2hops']), meshgate_h2_vs_h1: ratio(m['meshgate-2hops-h2'], m['meshgate-2hops']), rounds_raw: results,
    pinning: `proxies on CPU ${PROXY_CPU}; load, echo and consul on CPU ${LOAD_CPU}`,
  };
  console.log(JSON.stringify({ medians: m, meshgate_vs_nginx_2hops: summary.meshgate_vs_nginx_2hops }));
  writeResults(values.out, summary, console.log);
  return 0;
}

runBench(main);
