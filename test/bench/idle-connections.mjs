#!/usr/bin/env node
// Idle connections, measured (numbers, not a test): the edge's resident memory with N keep-alive
// connections that were answered once and now wait, and the p50/p99 of normal requests beside
// them against the same without them. The edge is pinned to CPU 1; load and clients to CPU 0.
//   node test/bench/idle-connections.mjs [--idle 10000] [--duration 5]
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePorts, waitForStatus, sleep } from './lib/net.mjs';
import { PROXY_NODE, installCleanupHandlers, makeTempDir, startChild, stopChild, cleanupAll } from './lib/proc.mjs';
import { runWrk } from './lib/wrk.mjs';
import { openIdleConnections, rssKiB } from './lib/memory.mjs';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const arg = (n, d) => { const i = process.argv.indexOf(`--${n}`); return i > 0 ? process.argv[i + 1] : d; };
const IDLE = Number(arg('idle', '10000'));
const DURATION = Number(arg('duration', '5'));

installCleanupHandlers();
const dir = makeTempDir('meshgate-idle-');
const [upPort, edgePort, adminPort] = await freePorts(3);
const upstream = startChild('upstream', [process.execPath, path.join(REPO, 'test/bench/upstream.mjs'), '--listen', `127.0.0.1:${upPort}`], { log: path.join(dir, 'up.log'), cpu: 0 });
// no mesh and no Consul: the edge is ready without them
fs.writeFileSync(path.join(dir, 'edge.yml'), `agent: { node: idle-bench, admin: "127.0.0.1:${adminPort}" }
mesh: { tls: disabled }
edge:
  listen: "127.0.0.1:${edgePort}"
  via_sidecars: false
  limits: { max_connections: ${IDLE + 1000} }
  kong:
    _format_version: "3.0"
    services:
      - name: s
        url: http://127.0.0.1:${upPort}
        routes: [{ name: r, paths: ["/"] }]
`);
const edge = startChild('edge', [...PROXY_NODE, path.join(REPO, 'bin/meshgate.js'), 'agent', '--config', path.join(dir, 'edge.yml')], { log: path.join(dir, 'edge.log'), cpu: 1 });
try {
  await waitForStatus(`http://127.0.0.1:${adminPort}/ready`, { timeoutMs: 20_000 });
} catch (err) {
  console.log(`edge not ready: ${err.message}\n${fs.readFileSync(path.join(dir, 'edge.log'), 'utf8').slice(-2000)}`);
  await cleanupAll();
  process.exit(0);
}
const url = `http://127.0.0.1:${edgePort}/`;
await runWrk({ url, connections: 20, durationS: 2 }); // warm-up
await sleep(1000);
const before = rssKiB(edge.pid);
const base = await runWrk({ url, connections: 20, durationS: DURATION });

const idle = await openIdleConnections(edgePort, IDLE);
const answered = idle.answered;
await sleep(2000);
const withIdle = rssKiB(edge.pid);
const loaded = await runWrk({ url, connections: 20, durationS: DURATION });
const open = idle.open();
idle.destroy();

const mib = (k) => (k / 1024).toFixed(1);
const fmt = (r) => (r.ok ? `${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms` : `failed: ${r.error}`);
console.log(`idle-connections bench, ${new Date().toISOString()}, node ${process.version}`);
console.log(`\n| state | edge RSS (main / with listen mirrors) | 20 normal connections |\n| --- | --- | --- |`);
console.log(`| no idle connections | ${mib(before.main)} / ${mib(before.all)} MiB | ${fmt(base)} |`);
console.log(`| ${IDLE} idle keep-alive connections (${answered} answered, ${open} open) | ${mib(withIdle.main)} / ${mib(withIdle.all)} MiB | ${fmt(loaded)} |`);
console.log(`cost per idle connection: ${((withIdle.all - before.all) / Math.max(1, IDLE)).toFixed(2)} KiB`);
await stopChild(edge);
await stopChild(upstream);
await cleanupAll();
