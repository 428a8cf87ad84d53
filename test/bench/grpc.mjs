#!/usr/bin/env node
// gRPC through the edge, side by side with nginx grpc_pass (same machine, same ECDSA P-256
// certificate, same grpc-js upstream over h2c): h2load sends unary calls (one 16-byte message each,
// content-type application/grpc) over TLS with ALPN h2, 100 concurrent streams per connection.
// Each proxy is checked first with a real grpc-js call. Also gRPC-Web through the edge (the grpc-web
// plugin, content-type application/grpc-web+proto, the same h2load load; nginx has no gRPC-Web).
// Proxies on CPU 1, h2load and the upstream on CPU 0 (as run.mjs). It asserts nothing.
//   node test/bench/grpc.mjs [--duration 10] [--clients 4] [--streams 100] [--rounds 3] [--out FILE]
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { makeBenchCert, nginxGrpcConf } from './lib/configs.mjs';
import { freePorts, waitFor, httpGet } from './lib/net.mjs';
import { PROXY_NODE, installCleanupHandlers, makeTempDir, pinned, runBench, startChild, writeResults } from './lib/proc.mjs';

const execFileP = promisify(execFile);
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const { values } = parseArgs({ options: {
  duration: { type: 'string', default: '10' }, clients: { type: 'string', default: '4' }, streams: { type: 'string', default: '100' },
  rounds: { type: 'string', default: '3' }, out: { type: 'string', default: path.join(ROOT, 'test/bench/results/grpc.json') },
} });
const durationS = Number(values.duration);
const rounds = Number(values.rounds);
const PATH = '/bench.Echo/Unary';

/** one real gRPC call through `port` (TLS): proves the path works before it is measured */
function grpcCall(port, ca) {
  const raw = (b) => b;
  const Ctor = grpc.makeGenericClientConstructor({ Unary: { path: PATH, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw } }, 'bench.Echo');
  const c = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createSsl(ca), { 'grpc.ssl_target_name_override': 'bench.test', 'grpc.default_authority': 'bench.test' });
  return new Promise((resolve) => c.Unary(Buffer.from('ping'), { deadline: Date.now() + 5000 }, (err, v) => { c.close(); resolve(err ? err.message : v.toString()); }));
}

async function runH2load({ url, dataFile, clients, streams, durationS: d, contentType }) {
  const argv = pinned(0, ['h2load', '-c', String(clients), '-m', String(streams), '-D', String(d), '--warm-up-time', '1',
    '-H', `content-type: ${contentType}`, '-H', 'te: trailers', '-d', dataFile, url]);
  try {
    const { stdout } = await execFileP(argv[0], argv.slice(1), { timeout: (d + 30) * 1000 });
    const rps = /finished in [^,]+, ([0-9.]+) req\/s/.exec(stdout);
    const status = /status codes: (\d+) 2xx/.exec(stdout);
    const failed = /requests: .*?(\d+) failed/.exec(stdout);
    if (!rps) return { ok: false, error: stdout.slice(-300) };
    return { ok: true, rps: Number(rps[1]), ok2xx: Number(status?.[1] ?? 0), failed: Number(failed?.[1] ?? 0) };
  } catch (err) {
    return { ok: false, error: String(err.message).slice(0, 300) };
  }
}

async function main() {
  installCleanupHandlers();
  const dir = makeTempDir('meshgate-bench-grpc-');
  const cert = makeBenchCert(dir);
  const ca = fs.readFileSync(cert.certFile);
  const dataFile = path.join(dir, 'call.bin');
  const message = Buffer.from('meshgate-bench-0'); // 16 bytes, one length-prefixed gRPC message
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  fs.writeFileSync(dataFile, frame);
  const [upstreamPort, edgePort, edgeTlsPort, adminPort, nginxPort] = await freePorts(5);
  startChild('upstream', [process.execPath, path.join(ROOT, 'test/bench/lib/grpc-upstream.mjs'), String(upstreamPort)], { log: path.join(dir, 'upstream.log'), cwd: ROOT, cpu: 0 });
  const deck = path.join(dir, 'edge.yml');
  fs.writeFileSync(deck, JSON.stringify({
    _format_version: '3.0',
    services: [{ name: 'bench', protocol: 'grpc', host: '127.0.0.1', port: upstreamPort, routes: [
      { name: 'bench', protocols: ['grpcs'], paths: ['/bench.Echo/'] },
      { name: 'bench-web', protocols: ['https'], paths: ['/bench.Echo/'], strip_path: false, plugins: [{ name: 'grpc-web' }] },
    ] }],
    certificates: [{ cert: fs.readFileSync(cert.certFile, 'utf8'), key: fs.readFileSync(cert.keyFile, 'utf8'), snis: ['bench.test'] }],
  }));
  startChild('edge', [...PROXY_NODE, path.join(ROOT, 'bin/meshgate.js'), 'agent', '--config', deck, '--listen', `127.0.0.1:${edgePort}`,
    '--listen-tls', `127.0.0.1:${edgeTlsPort}`, '--admin', `127.0.0.1:${adminPort}`], { log: path.join(dir, 'edge.log'), cwd: ROOT, cpu: 1 });
  startChild('nginx-grpc', ['nginx', '-c', nginxGrpcConf(dir, { port: nginxPort, upstreamPort, cert })], { log: path.join(dir, 'nginx-grpc.log'), cpu: 1 });
  await waitFor(async () => (await httpGet(`http://127.0.0.1:${adminPort}/ready`)).status === 200, { timeoutMs: 20_000 });
  const checks = { edge: await grpcCall(edgeTlsPort, ca), nginx: await grpcCall(nginxPort, ca) };
  console.log(`check: edge → ${checks.edge}, nginx → ${checks.nginx}`);
  if (checks.edge !== 'ping' || checks.nginx !== 'ping') throw new Error(`a gRPC call failed: ${JSON.stringify(checks)}`);

  const GRPC = 'application/grpc';
  const scenarios = [
    ['edge-grpc', `https://127.0.0.1:${edgeTlsPort}${PATH}`, GRPC], ['nginx-grpc', `https://127.0.0.1:${nginxPort}${PATH}`, GRPC],
    ['edge-grpc-web', `https://127.0.0.1:${edgeTlsPort}${PATH}`, 'application/grpc-web+proto'],
  ];
  const results = Object.fromEntries(scenarios.map(([k]) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [key, url, contentType] of scenarios) {
      const h = await runH2load({ url, dataFile, clients: Number(values.clients), streams: Number(values.streams), durationS, contentType });
      results[key].push(h.ok ? Math.round(h.rps) : null);
      console.log(`round ${r + 1} ${key.padEnd(13)} ${h.ok ? `${Math.round(h.rps)} calls/s, 2xx ${h.ok2xx}, failed ${h.failed}` : h.error}`);
    }
  }
  const median = (xs) => { const v = xs.filter((x) => x !== null).sort((a, b) => a - b); return v.length ? v[Math.floor(v.length / 2)] : null; };
  const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
  const over = (a, b) => (m[a] && m[b] ? Math.round((m[a] / m[b]) * 100) / 100 : null);
  const ratio = over('edge-grpc', 'nginx-grpc');
  const web = over('edge-grpc-web', 'edge-grpc');
  const summary = { date: new Date().toISOString(), durationS, clients: Number(values.clients), streams: Number(values.streams), rounds, medians: m, edge_vs_nginx: ratio, grpc_web_vs_grpc: web, rounds_raw: results };
  console.log(JSON.stringify({ medians: m, edge_vs_nginx: ratio, grpc_web_vs_grpc: web }));
  writeResults(values.out, summary, console.log);
  return 0;
}

runBench(main);
