#!/usr/bin/env node
// HTTPS at the edge, side by side with nginx (same machine, same ECDSA P-256 certificate, same
// fixed-response nginx upstream): keep-alive HTTPS req/s against meshgate's own plain HTTP, and new
// TLS connections per second (wrk with "Connection: close": every request a new handshake), and
// HTTP/2 (h2load, 100 concurrent streams per connection) against meshgate's own HTTP/1.1 and nginx http2.
// Proxies on CPU 1, wrk and the upstream on CPU 0 (as run.mjs). It asserts nothing.
//   node test/bench/tls.mjs [--duration 10] [--connections 50] [--rounds 3] [--out FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeBenchCert, nginxUpstreamConf } from './lib/configs.mjs';
import { freePorts, waitFor, httpGet } from './lib/net.mjs';
import { PROXY_NODE, installCleanupHandlers, makeTempDir, runBench, startChild, writeResults } from './lib/proc.mjs';
import { runWrk } from './lib/wrk.mjs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** h2load over TLS (ALPN h2) for durationS: req/s and failed requests, or an error text */
async function runH2load({ url, clients, streams, durationS, cpu }) {
  const args = [String(cpu), 'h2load', '-c', String(clients), '-m', String(streams), '-D', String(durationS), '--warm-up-time', '1', url];
  try {
    const { stdout } = await execFileP('taskset', ['-c', ...args], { timeout: (durationS + 30) * 1000 });
    const rps = /finished in [^,]+, ([0-9.]+) req\/s/.exec(stdout);
    const failed = /requests: .*?(\d+) failed/.exec(stdout);
    if (!rps) return { ok: false, error: stdout.slice(-300) };
    return { ok: true, rps: Number(rps[1]), failed: Number(failed?.[1] ?? 0) };
  } catch (err) {
    return { ok: false, error: String(err.message).slice(0, 300) };
  }
}

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const { values } = parseArgs({ options: {
  duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '50' },
  rounds: { type: 'string', default: '3' }, out: { type: 'string', default: path.join(ROOT, 'test/bench/results/tls.json') },
} });
const durationS = Number(values.duration);
const connections = Number(values.connections);
const rounds = Number(values.rounds);

function nginxTlsConf(dir, { port, upstreamPort, cert }) {
  fs.mkdirSync(path.join(dir, 'nginx-tls-tmp'), { recursive: true });
  const user = process.getuid?.() === 0 ? `user ${os.userInfo().username};` : '';
  const file = path.join(dir, 'nginx-tls.conf');
  fs.writeFileSync(file, `${user}
worker_processes 1;
daemon off;
pid ${dir}/nginx-tls.pid;
error_log ${dir}/nginx-tls-error.log warn;
events { worker_connections 8192; multi_accept on; }
http {
  access_log ${dir}/nginx-tls-access.log combined buffer=64k flush=1s;
  client_body_temp_path ${dir}/nginx-tls-tmp; proxy_temp_path ${dir}/nginx-tls-tmp;
  fastcgi_temp_path ${dir}/nginx-tls-tmp; uwsgi_temp_path ${dir}/nginx-tls-tmp; scgi_temp_path ${dir}/nginx-tls-tmp;
  keepalive_timeout 300s; keepalive_requests 100000000;
  upstream u { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port} ssl http2 backlog=4096;
    ssl_certificate ${cert.certFile};
    ssl_certificate_key ${cert.keyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`);
  return file;
}

async function main() {
  installCleanupHandlers();
  const dir = makeTempDir('meshgate-bench-tls-');
  const cert = makeBenchCert(dir);
  const [upstreamPort, edgePort, edgeTlsPort, adminPort, nginxPort] = await freePorts(5);
  startChild('upstream', ['nginx', '-c', nginxUpstreamConf(dir, { port: upstreamPort })], { log: path.join(dir, 'upstream.log'), cpu: 0 });
  const deck = path.join(dir, 'edge.yml');
  fs.writeFileSync(deck, JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'bench', url: `http://127.0.0.1:${upstreamPort}`, routes: [{ name: 'bench', paths: ['/'] }] }],
    certificates: [{ cert: fs.readFileSync(cert.certFile, 'utf8'), key: fs.readFileSync(cert.keyFile, 'utf8'), snis: ['bench.test'] }],
  }));
  startChild('edge', [...PROXY_NODE, path.join(ROOT, 'bin/meshgate.js'), 'agent', '--config', deck, '--listen', `127.0.0.1:${edgePort}`,
    '--listen-tls', `127.0.0.1:${edgeTlsPort}`, '--admin', `127.0.0.1:${adminPort}`], { log: path.join(dir, 'edge.log'), cwd: ROOT, cpu: 1 });
  startChild('nginx-tls', ['nginx', '-c', nginxTlsConf(dir, { port: nginxPort, upstreamPort, cert })], { log: path.join(dir, 'nginx-tls.log'), cpu: 1 });
  await waitFor(async () => (await httpGet(`http://127.0.0.1:${adminPort}/ready`)).status === 200, { timeoutMs: 20_000 });
  await waitFor(async () => (await httpGet(`http://127.0.0.1:${upstreamPort}/`)).status === 200, { timeoutMs: 10_000 });

  const close = { Connection: 'close' };
  const scenarios = [
    ['edge-http', `http://127.0.0.1:${edgePort}/`, {}],
    ['edge-https', `https://127.0.0.1:${edgeTlsPort}/`, {}],
    ['nginx-https', `https://127.0.0.1:${nginxPort}/`, {}],
    ['edge-handshakes', `https://127.0.0.1:${edgeTlsPort}/`, close],
    ['nginx-handshakes', `https://127.0.0.1:${nginxPort}/`, close],
  ];
  const h2Scenarios = [
    ['edge-h2', `https://127.0.0.1:${edgeTlsPort}/`],
    ['nginx-h2', `https://127.0.0.1:${nginxPort}/`],
  ];
  const results = Object.fromEntries([...scenarios, ...h2Scenarios].map(([k]) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [key, url, headers] of scenarios) {
      const w = await runWrk({ url, connections, durationS, cpu: 0, headers });
      const value = w.ok ? Math.round(w.rps) : null;
      results[key].push(value);
      console.log(`round ${r + 1} ${key.padEnd(17)} ${w.ok ? `${value} req/s, errors ${JSON.stringify(w.errors ?? {})}` : w.error}`);
    }
    for (const [key, url] of h2Scenarios) {
      const h = await runH2load({ url, clients: Math.max(1, Math.round(connections / 10)), streams: 100, durationS, cpu: 0 });
      const value = h.ok ? Math.round(h.rps) : null;
      results[key].push(value);
      console.log(`round ${r + 1} ${key.padEnd(17)} ${h.ok ? `${value} req/s, failed ${h.failed}` : h.error}`);
    }
  }
  const median = (xs) => { const v = xs.filter((x) => x !== null).sort((a, b) => a - b); return v.length ? v[Math.floor(v.length / 2)] : null; };
  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  const ratio = (a, b) => (a && b ? Math.round((a / b) * 100) / 100 : null);
  const summary = {
    date: new Date().toISOString(), durationS, connections, rounds, medians: m,
    https_over_own_http: ratio(m['edge-https'], m['edge-http']),
    https_vs_nginx: ratio(m['edge-https'], m['nginx-https']),
    handshakes_vs_nginx: ratio(m['edge-handshakes'], m['nginx-handshakes']),
    h2_over_own_http1: ratio(m['edge-h2'], m['edge-http']),
    h2_vs_nginx: ratio(m['edge-h2'], m['nginx-h2']),
    rounds_raw: results,
  };
  console.log(JSON.stringify({ medians: m, https_over_own_http: summary.https_over_own_http, https_vs_nginx: summary.https_vs_nginx, handshakes_vs_nginx: summary.handshakes_vs_nginx, h2_over_own_http1: summary.h2_over_own_http1, h2_vs_nginx: summary.h2_vs_nginx }));
  writeResults(values.out, summary, console.log);
  return 0;
}

runBench(main);
