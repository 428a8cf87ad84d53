#!/usr/bin/env node
// Slow-client protection, measured (numbers, not a test): the p50/p99 of normal requests through
// the edge while 500 other connections dribble their headers one byte every few seconds, against
// the same without them. The edge is pinned to CPU 1; the load and the slow clients to CPU 0.
//   node test/bench/slow-clients.mjs [--slow 500] [--duration 10]
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import { freePorts, waitForStatus, sleep } from './lib/net.mjs';
import { PROXY_NODE, installCleanupHandlers, makeTempDir, startChild, stopChild, cleanupAll } from './lib/proc.mjs';
import { runWrk } from './lib/wrk.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const SLOW = Number(arg('slow', '500'));
const DURATION = Number(arg('duration', '10'));

installCleanupHandlers();
const dir = makeTempDir('meshgate-slow-');
const [upPort, edgePort, adminPort] = await freePorts(3);
const upstream = startChild('upstream', [process.execPath, path.join(REPO, 'test/bench/upstream.mjs'), '--listen', `127.0.0.1:${upPort}`], { log: path.join(dir, 'up.log'), cpu: 0 });
fs.writeFileSync(path.join(dir, 'edge.yml'), `_format_version: "3.0"\nservices:\n  - name: s\n    url: http://127.0.0.1:${upPort}\n    routes: [{ name: r, paths: ["/"] }]\n`);
const edge = startChild('edge', [...PROXY_NODE, path.join(REPO, 'bin/meshgate.js'), 'agent', '--config', path.join(dir, 'edge.yml'),
  '--listen', `127.0.0.1:${edgePort}`, '--admin', `127.0.0.1:${adminPort}`], { log: path.join(dir, 'edge.log'), cpu: 1 });
await waitForStatus(`http://127.0.0.1:${adminPort}/ready`, { timeoutMs: 20_000 });
const url = `http://127.0.0.1:${edgePort}/`;
await runWrk({ url, connections: 20, durationS: 3 }); // warm-up

const base = await runWrk({ url, connections: 20, durationS: DURATION });

// the slow clients: each sends one byte of a request line every 3 s (never finishing in time)
const sockets = [];
let closedByEdge = 0;
for (let i = 0; i < SLOW; i++) {
  const s = net.connect(edgePort, '127.0.0.1');
  s.on('error', () => {});
  s.on('close', () => { closedByEdge++; });
  sockets.push(s);
}
const line = 'GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(64);
let pos = 0;
const dribble = setInterval(() => { const ch = line[pos++ % line.length]; for (const s of sockets) if (!s.destroyed) s.write(ch); }, 3000);
await sleep(1000);
const loaded = await runWrk({ url, connections: 20, durationS: DURATION });
clearInterval(dribble);
const open = sockets.filter((s) => !s.destroyed).length;
for (const s of sockets) s.destroy();

const fmt = (r) => (r.ok ? `${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms` : `failed: ${r.error}`);
console.log(`\n| load | result |\n| --- | --- |\n| 20 normal connections | ${fmt(base)} |\n| same + ${SLOW} slow-header connections | ${fmt(loaded)} |`);
console.log(`slow connections closed by the edge during the run: ${closedByEdge} of ${SLOW} (header_timeout 10 s); still open at the end: ${open}`);
if (loaded.ok) console.log(`normal-request p99 with ${SLOW} slow clients: ${loaded.p99.toFixed(2)} ms (target <= 100 ms)`);
await stopChild(edge);
await stopChild(upstream);
await cleanupAll();
