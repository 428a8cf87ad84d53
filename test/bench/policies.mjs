#!/usr/bin/env node
// meshgate policy benchmarks: three side-by-side comparisons, each measured in one run
// (warm-up, then interleaved rounds, median per contestant):
//   plugins  one meshgate edge: route /policy (jwt + rate-limiting + cors +
//            request-transformer) vs route /plain (no plugins)          target >= 0.80
//   cache    meshgate proxy-cache hits vs nginx proxy_cache hits (+ meshgate without cache)
//   mtls     meshgate edge -> sidecar (Consul Connect mTLS) vs an undici mTLS forwarder
//            pair vs nginx -> nginx over mTLS                           target >= 0.80
// Pinning: the proxy (both hops for mtls) on CPU 1; wrk, the upstream and Consul on CPU 0.
// See test/bench/README.md. A benchmark: it checks the setup, never the timing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';

import { deckConf, meshEdgeConf, nginxUpstreamConf, sidecarConf, UPSTREAM_BODY } from './lib/configs.mjs';
import { freePorts, httpGet, sleep, waitForStatus } from './lib/net.mjs';
import {
  PROXY_NODE, hasTaskset, installCleanupHandlers, isStopping, makeTempDir, startChild, stopChild, tailLog, runBench, writeResults,
} from './lib/proc.mjs';
import { runWrk, settledRun, settleP99OverP50, settleText } from './lib/wrk.mjs';
import { pairedRatio } from './lib/stats.mjs';
import {
  cacheDeck, findConsul, fmt, fmtInt, makeMeshCerts, median, nginxCacheConf, nginxMtlsHop1Conf, nginxMtlsHop2Conf,
  policyDeck, request, spiffe, startConsul, version, waitQuiet, which,
} from './lib/scenarios-lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const NODE = process.execPath;
const LOAD_CPU = 0;
const PROXY_CPU = 1;
const NOISY_PCT = 15; // as run.mjs: a run where other processes used >= this % of a core is noisy
const SCENARIOS = ['plugins', 'cache', 'mtls'];
const ORIGIN = 'https://app.example.com';
const JWT_KEY = 'bench-issuer';
const JWT_SECRET = 'meshgate-bench-hs256-secret-0123456789abcdef'; // 44 chars

const USAGE = `usage: node test/bench/policies.mjs [options]
  --only LIST         comparisons, comma-separated: ${SCENARIOS.join(',')} (default: all)
  --rounds N          interleaved measurement rounds (default 3)
  --duration S        seconds per wrk run (default 8)
  --warmup S          warm-up seconds per contestant (default 3)
  --settle S          before every measured run, S s of the same load, not counted (as in
                      run.mjs; default 2, 1 with --quick; 0 = off); its p99/p50 is the cold start
  --connections N     wrk connections (default 50)
  --quiet-wait S      before each run, wait up to S s while processes this run did not
                      start use > 25% of a core (default 20, 5 with --quick; 0 = never)
  --quick             smoke run: 1 round of 3 s, 2 s warm-up
  --hold              set up each comparison, print its contestants' URLs and PIDs, and keep
                      them running until Ctrl-C instead of measuring (for profilers)
  --out FILE          JSON results (default test/bench/results/policies.json)
Environment: BENCH_KEEP_TMP=1 keeps the temp dir; MESHGATE_BIN overrides bin/meshgate.js.`;

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' }, rounds: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' }, settle: { type: 'string' },
      connections: { type: 'string' }, 'quiet-wait': { type: 'string' }, quick: { type: 'boolean' }, hold: { type: 'boolean' },
      out: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const num = (v, def, name) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const q = !!values.quick;
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : SCENARIOS;
  for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`--only: unknown comparison "${s}" (known: ${SCENARIOS.join(', ')})`);
  return {
    help: !!values.help,
    hold: !!values.hold,
    rounds: Math.round(num(values.rounds, q ? 1 : 3, 'rounds')),
    duration: num(values.duration, q ? 3 : 8, 'duration'),
    warmup: num(values.warmup, q ? 2 : 3, 'warmup'),
    settle: values.settle === '0' ? 0 : num(values.settle, q ? 1 : 2, 'settle'),
    connections: Math.round(num(values.connections, 50, 'connections')),
    quietWait: values['quiet-wait'] === '0' ? 0 : num(values['quiet-wait'], q ? 5 : 20, 'quiet-wait'),
    out: path.resolve(values.out ?? path.join(HERE, 'results', 'policies.json')),
    only: SCENARIOS.filter((s) => only.includes(s)),
  };
}

const isNoisy = (r) => !!r.ok && typeof r.cpu?.foreign === 'number' && r.cpu.foreign >= NOISY_PCT;

class SetupError extends Error {}

class Policies {
  constructor(opts, dir) {
    this.opts = opts;
    this.dir = dir;
    this.notes = [];
    this.results = {};
    this.keepalive = Math.max(128, opts.connections);
    this.tools = { wrk: which('wrk', '/usr/bin/wrk'), nginx: which('nginx', '/usr/sbin/nginx'), openssl: which('openssl') };
  }

  log(msg) { process.stdout.write(`${msg}\n`); }
  note(msg) { this.notes.push(msg); this.log(`note: ${msg}`); }
  logFile(name) { return path.join(this.dir, `${name}.log`); }
  start(name, argv, cpu) { return startChild(name, argv, { log: this.logFile(name), cwd: ROOT, cpu }); }
  failInfo(procs) { return procs.map((p) => `--- ${p.name} log (${p.log}):\n${tailLog(p.log)}${p.log2 ? `\n${tailLog(p.log2)}` : ''}`).join('\n'); }

  /** Waits for GET url === 200 while every process in `procs` stays alive; throws SetupError otherwise. */
  async ready(url, procs, what, timeoutMs = 20000) {
    const abort = () => {
      const dead = procs.find((p) => !p.alive());
      return dead ? `${dead.name} exited (code ${dead.code}${dead.signal ? `, ${dead.signal}` : ''})` : null;
    };
    const r = await waitForStatus(url, { timeoutMs, abort });
    if (!r.ok) throw new SetupError(`${what}: ${r.reason}\n${this.failInfo(procs)}`);
  }

  check(cond, what, detail = '') {
    this.checks?.push({ what, ok: !!cond, ...(cond ? {} : { detail }) });
    if (!cond) throw new SetupError(`check failed: ${what}${detail ? ` (${detail})` : ''}`);
    this.log(`  check ok: ${what}`);
  }

  meshgateBin() {
    const bin = process.env.MESHGATE_BIN ? path.resolve(process.env.MESHGATE_BIN) : path.join(ROOT, 'bin', 'meshgate.js');
    if (!fs.existsSync(bin)) throw new SetupError(`${path.relative(ROOT, bin)} not found (npm run build?)`);
    if (!fs.existsSync(path.join(ROOT, 'dist', 'agent', 'main.js'))) throw new SetupError('dist/agent/main.js not found (npm run build)');
    return bin;
  }

  nginxBin() {
    if (!this.tools.nginx) throw new SetupError('nginx not found (bash deploy/setup/install-bench-tools.sh)');
    return this.tools.nginx;
  }

  startNginx(name, conf, cpu) {
    const h = this.start(name, [this.nginxBin(), '-p', this.dir, '-c', conf, '-e', path.join(this.dir, `${name}-error.log`)], cpu);
    h.log2 = path.join(this.dir, `${name}-error.log`);
    return h;
  }

  /** A meshgate edge on a plain decK file (--listen/--admin), pinned to the proxy CPU. */
  async startDeckEdge(name, deck, procs, probePath = '/') {
    const bin = this.meshgateBin();
    const [port, admin] = await freePorts(2);
    const h = this.start(name, [...PROXY_NODE, bin, 'agent', '--config', deck, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`], PROXY_CPU);
    procs.push(h);
    await this.ready(`http://127.0.0.1:${admin}/ready`, [h], `${name} admin /ready`);
    await this.ready(`http://127.0.0.1:${port}${probePath}`, [h], `${name} ${probePath}`, 10000);
    return { h, port, admin };
  }

  // ------------------------------------------------------------------------ upstream

  async startUpstream() {
    const [port] = await freePorts(1);
    let h;
    let kind;
    if (this.tools.nginx) {
      kind = 'nginx';
      h = this.startNginx('upstream', nginxUpstreamConf(this.dir, { port, name: 'upstream' }), LOAD_CPU);
    } else {
      kind = 'node';
      h = this.start('upstream', [NODE, path.join(HERE, 'upstream.mjs'), '--listen', `127.0.0.1:${port}`], LOAD_CPU);
    }
    await this.ready(`http://127.0.0.1:${port}/`, [h], 'upstream', 10000);
    const probe = await httpGet(`http://127.0.0.1:${port}/`);
    await runWrk({ url: `http://127.0.0.1:${port}/`, connections: this.opts.connections, durationS: 1, cpu: LOAD_CPU, wrkBin: this.tools.wrk });
    const cal = await runWrk({ url: `http://127.0.0.1:${port}/`, connections: this.opts.connections, durationS: 2, cpu: LOAD_CPU, wrkBin: this.tools.wrk });
    this.upstream = {
      kind, port, h, bodyBytes: Buffer.byteLength(UPSTREAM_BODY), contentType: probe.headers?.['content-type'] ?? null,
      ceilingRps: cal.ok ? cal.rps : null, ceilingForeignCpu: cal.cpu?.foreign ?? null,
    };
    this.log(`upstream: ${kind === 'nginx' ? 'nginx (return 200, 1 worker)' : 'node:http'} on 127.0.0.1:${port}, `
      + `${this.upstream.bodyBytes}-byte ${this.upstream.contentType} body, CPU ${LOAD_CPU}; `
      + `direct wrk ceiling ~${fmtInt(this.upstream.ceilingRps)} req/s${cal.ok ? '' : ` (${cal.error})`}`
      + `${cal.cpu?.foreign >= 5 ? ` (other processes used ${fmt(cal.cpu.foreign, 0)}% CPU meanwhile: ${cal.cpu.foreignTop})` : ''}`);
  }

  // ------------------------------------------------------------------------ comparisons

  /** plugins: one edge, /policy (jwt, rate-limiting, cors, request-transformer) vs /plain. */
  async setupPlugins(procs) {
    const deck = policyDeck(this.dir, { upstreamPort: this.upstream.port, jwtKey: JWT_KEY, jwtSecret: JWT_SECRET, origin: ORIGIN });
    const edge = await this.startDeckEdge('edge-policy', deck, procs, '/plain');
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(JWT_KEY).setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
      .sign(new TextEncoder().encode(JWT_SECRET));
    const headers = { Authorization: `Bearer ${token}`, Origin: ORIGIN };
    const base = `http://127.0.0.1:${edge.port}`;
    // The plugins must really run: a signed request passes with their headers, an unsigned one is refused.
    const ok = await request(`${base}/policy`, { headers });
    this.check(ok.status === 200, '/policy with a signed token answers 200', `got ${ok.status} ${ok.body?.slice(0, 200) ?? ok.error?.message}`);
    this.check(ok.headers['x-ratelimit-limit-second'] === '1000000', '/policy carries x-ratelimit-limit-second: 1000000', `got ${ok.headers['x-ratelimit-limit-second']}`);
    this.check(ok.headers['access-control-allow-origin'] === ORIGIN, `/policy carries access-control-allow-origin: ${ORIGIN}`, `got ${ok.headers['access-control-allow-origin']}`);
    const unsigned = await request(`${base}/policy`, { headers: { Origin: ORIGIN } });
    this.check(unsigned.status === 401, 'unsigned /policy answers 401', `got ${unsigned.status}`);
    const plain = await request(`${base}/plain`, { headers });
    this.check(plain.status === 200 && plain.headers['x-ratelimit-limit-second'] === undefined, '/plain answers 200 without plugin headers', `got ${plain.status}`);
    return {
      title: 'plugins: one meshgate edge, /policy (jwt HS256 + rate-limiting local + cors + request-transformer) vs /plain (no plugins)',
      contestants: [
        { key: 'plain', label: 'meshgate edge /plain (no plugins)', hops: 1, url: `${base}/plain`, headers, procs: [edge.h] },
        { key: 'policy', label: 'meshgate edge /policy (4 plugins)', hops: 1, url: `${base}/policy`, headers, procs: [edge.h] },
      ],
      refs: ['plain'],
      targets: [{ key: 'policy', ref: 'plain', line: 'plugins/plain req/s ratio', target: 0.8 }],
      wrkHeaders: 'Authorization: Bearer <HS256 token>, Origin: https://app.example.com (both routes)',
    };
  }

  /** cache: meshgate proxy-cache hits vs nginx proxy_cache hits; meshgate without cache as a reference. */
  async setupCache(procs) {
    const up = this.upstream.port;
    const cached = await this.startDeckEdge('edge-cache', cacheDeck(this.dir, { upstreamPort: up }), procs);
    const plain = await this.startDeckEdge('edge-nocache', deckConf(this.dir, { upstreamPort: up, name: 'edge-nocache' }), procs);
    const [nPort] = await freePorts(1);
    const nh = this.startNginx('nginx-cache', nginxCacheConf(this.dir, { port: nPort, upstreamPort: up, keepalive: this.keepalive }), PROXY_CPU);
    procs.push(nh);
    await this.ready(`http://127.0.0.1:${nPort}/`, [nh], 'nginx-cache');
    // Responses 1 (the ready probes above) may be a miss; from then on every answer is a hit.
    for (const [name, port, want] of [['meshgate', cached.port, 'Hit'], ['nginx', nPort, 'HIT']]) {
      await request(`http://127.0.0.1:${port}/`);
      const r = await request(`http://127.0.0.1:${port}/`);
      this.check(r.status === 200 && r.headers['x-cache-status'] === want, `${name}: a repeated GET / answers X-Cache-Status: ${want}`,
        `got ${r.status}, X-Cache-Status ${r.headers?.['x-cache-status']}`);
    }
    const ref = await request(`http://127.0.0.1:${plain.port}/`);
    this.check(ref.status === 200 && ref.headers['x-cache-status'] === undefined, 'meshgate without cache: 200, no X-Cache-Status');
    return {
      title: 'cache: cache hits, meshgate proxy-cache (memory) vs nginx proxy_cache; meshgate without cache as a reference',
      contestants: [
        { key: 'edge-cache', label: 'meshgate edge + proxy-cache (hits)', hops: 1, url: `http://127.0.0.1:${cached.port}/`, procs: [cached.h], cacheHits: true },
        { key: 'nginx-cache', label: 'nginx proxy_cache (hits)', hops: 1, url: `http://127.0.0.1:${nPort}/`, procs: [nh], cacheHits: true },
        { key: 'edge-nocache', label: 'meshgate edge, no cache (proxied)', hops: 1, url: `http://127.0.0.1:${plain.port}/`, procs: [plain.h] },
      ],
      refs: ['nginx-cache', 'edge-nocache'],
      targets: [
        { key: 'edge-cache', ref: 'nginx-cache', line: 'cache-hit meshgate/nginx req/s ratio' },
        { key: 'edge-cache', ref: 'edge-nocache', line: 'meshgate cache-hit/no-cache req/s ratio' },
      ],
    };
  }

  /** mtls: meshgate edge -> sidecar (Consul Connect certificates) vs undici mTLS pair vs nginx mTLS pair. */
  async setupMtls(procs) {
    if (!this.tools.openssl) throw new SetupError('openssl not found');
    const bin = this.meshgateBin();
    const up = this.upstream.port;
    const contestants = [];
    const skipped = {};

    // (a) meshgate: Consul dev agent, sidecar registering benchsvc, edge routing / to http://benchsvc.
    try {
      const consul = await findConsul(ROOT);
      if (consul.error) throw new SetupError(consul.error);
      this.consulVersion = version([consul.bin, 'version'], /Consul (v\S+)/);
      const [cHttp, cLan, cWan, cServer, sAdmin, mesh, eAdmin, edgePort] = await freePorts(8);
      const c = await startConsul({ bin: consul.bin, ports: [cHttp, cLan, cWan, cServer], log: this.logFile('consul'), cwd: ROOT, cpu: LOAD_CPU });
      procs.push(c.handle);
      if (!c.ok) throw new SetupError(`consul dev agent not ready: ${c.reason}\n${this.failInfo([c.handle])}`);
      const sh = this.start('sidecar', [...PROXY_NODE, bin, 'agent', '--config', sidecarConf(this.dir, { consulPort: cHttp, adminPort: sAdmin, meshPort: mesh, upstreamPort: up })], PROXY_CPU);
      procs.push(sh);
      await this.ready(`http://127.0.0.1:${sAdmin}/ready`, [c.handle, sh], 'sidecar /ready');
      const eh = this.start('edge-mesh', [...PROXY_NODE, bin, 'agent', '--config', meshEdgeConf(this.dir, { consulPort: cHttp, adminPort: eAdmin, edgePort })], PROXY_CPU);
      procs.push(eh);
      await this.ready(`http://127.0.0.1:${eAdmin}/ready`, [c.handle, sh, eh], 'mesh edge /ready');
      await this.ready(`http://127.0.0.1:${edgePort}/`, [c.handle, sh, eh], 'mesh edge GET / (edge -> sidecar -> upstream)', 30000);
      // The sidecar's mesh port must speak TLS only: a plain HTTP request there gets no HTTP answer.
      const plainProbe = await httpGet(`http://127.0.0.1:${mesh}/`, 1500);
      this.check(plainProbe.status === 0 || plainProbe.status === 400, 'sidecar mesh port refuses plain HTTP (mesh TLS is on)', `got HTTP ${plainProbe.status}`);
      contestants.push({ key: 'meshgate-mtls', label: 'meshgate edge -> sidecar (Consul Connect mTLS)', hops: 2, url: `http://127.0.0.1:${edgePort}/`, procs: [eh, sh], support: [c.handle] });
    } catch (err) {
      if (!(err instanceof SetupError)) throw err;
      skipped['meshgate-mtls'] = err.message;
      this.log(`SKIPPED meshgate-mtls: ${err.message}`);
    }

    // Certificates for (b) and (c): one CA, a client leaf and a server leaf (SPIFFE URI SANs;
    // the server also has DNS:benchsvc so that nginx, which checks DNS names, can verify it).
    let certs;
    try {
      certs = makeMeshCerts(this.dir, [{ name: 'bench-client' }, { name: 'benchsvc', dns: ['benchsvc'] }]);
    } catch (err) {
      throw new SetupError(`certificates: ${err.message}`);
    }
    this.log(`  certificates: EC P-256 CA + leaves ${spiffe('bench-client')}, ${spiffe('benchsvc')} (+ DNS:benchsvc) in ${certs.dir}`);

    // (b) undici mTLS forwarder pair.
    try {
      const [p1, p2] = await freePorts(2);
      const fwd = path.join(HERE, 'mtls-forwarder.mjs');
      const cl = certs.leaves['bench-client'];
      const sv = certs.leaves.benchsvc;
      const h2 = this.start('undici-mtls-hop2', [...PROXY_NODE, fwd, '--hop', '2', '--listen', `127.0.0.1:${p2}`, '--upstream', `http://127.0.0.1:${up}`,
        '--cert', sv.certFile, '--key', sv.keyFile, '--ca', certs.ca.certFile], PROXY_CPU);
      procs.push(h2);
      const h1 = this.start('undici-mtls-hop1', [...PROXY_NODE, fwd, '--hop', '1', '--listen', `127.0.0.1:${p1}`, '--upstream', `https://127.0.0.1:${p2}`,
        '--cert', cl.certFile, '--key', cl.keyFile, '--ca', certs.ca.certFile, '--servername', 'benchsvc'], PROXY_CPU);
      procs.push(h1);
      await this.ready(`http://127.0.0.1:${p1}/`, [h1, h2], 'undici mTLS pair GET /');
      const noCert = await tlsRequest(p2, { ca: certs.ca.cert, servername: 'benchsvc' });
      this.check(noCert.status === 0, 'undici hop 2 refuses a client without a certificate', `got HTTP ${noCert.status}`);
      contestants.push({ key: 'undici-mtls', label: 'undici mTLS forwarder -> forwarder', hops: 2, url: `http://127.0.0.1:${p1}/`, procs: [h1, h2] });
    } catch (err) {
      if (!(err instanceof SetupError)) throw err;
      skipped['undici-mtls'] = err.message;
      this.log(`SKIPPED undici-mtls: ${err.message}`);
    }

    // (c) nginx -> nginx over mTLS.
    try {
      const [p1, p2] = await freePorts(2);
      const h2 = this.startNginx('nginx-mtls-hop2', nginxMtlsHop2Conf(this.dir, { port: p2, upstreamPort: up, certs, server: 'benchsvc', keepalive: this.keepalive }), PROXY_CPU);
      procs.push(h2);
      const h1 = this.startNginx('nginx-mtls-hop1', nginxMtlsHop1Conf(this.dir, { port: p1, hop2Port: p2, certs, client: 'bench-client', serverName: 'benchsvc', keepalive: this.keepalive }), PROXY_CPU);
      procs.push(h1);
      await this.ready(`http://127.0.0.1:${p1}/`, [h1, h2], 'nginx mTLS pair GET /');
      const noCert = await tlsRequest(p2, { ca: certs.ca.cert, servername: 'benchsvc' });
      this.check(noCert.status === 400, 'nginx hop 2 refuses a client without a certificate (400)', `got HTTP ${noCert.status}`);
      contestants.push({ key: 'nginx-mtls', label: 'nginx -> nginx (mTLS, proxy_ssl_verify on)', hops: 2, url: `http://127.0.0.1:${p1}/`, procs: [h1, h2] });
    } catch (err) {
      if (!(err instanceof SetupError)) throw err;
      skipped['nginx-mtls'] = err.message;
      this.log(`SKIPPED nginx-mtls: ${err.message}`);
    }

    return {
      title: 'mtls: two hops over mutual TLS (TLS 1.3, EC P-256), both hops on CPU 1',
      contestants,
      skipped,
      refs: ['undici-mtls', 'nginx-mtls'],
      targets: [
        { key: 'meshgate-mtls', ref: 'undici-mtls', line: 'mtls meshgate/undici-mtls req/s ratio', target: 0.8 },
        { key: 'meshgate-mtls', ref: 'nginx-mtls', line: 'mtls meshgate/nginx-mtls req/s ratio' },
      ],
    };
  }

  // ------------------------------------------------------------------------ measurement

  async wrk(c, durationS, { quiet = true } = {}) {
    if (isStopping()) return { ok: false, error: 'stopping' };
    const dead = [...c.procs, ...(c.support ?? [])].find((p) => !p.alive());
    if (dead) return { ok: false, error: `${dead.name} exited (code ${dead.code})` };
    if (quiet) await waitQuiet({ boundMs: this.opts.quietWait * 1000 });
    const args = { url: c.url, connections: this.opts.connections, durationS, cpu: LOAD_CPU, wrkBin: this.tools.wrk };
    return runWrk({ ...args, headers: c.headers ?? {} });
  }

  async runScenario(name) {
    const procs = [];
    const res = { name, skipped: {}, checks: [], rows: [], runs: [] };
    this.results[name] = res;
    this.checks = res.checks;
    this.log(`\n=== ${name} ===`);
    let scn;
    try {
      scn = await this[`setup${name[0].toUpperCase()}${name.slice(1)}`](procs);
    } catch (err) {
      if (!(err instanceof SetupError)) { for (const p of procs.reverse()) await stopChild(p); throw err; }
      res.error = err.message;
      this.log(`SKIPPED ${name}: ${err.message}`);
      for (const p of procs.reverse()) await stopChild(p);
      return;
    }
    Object.assign(res, { title: scn.title, refs: scn.refs, targetDefs: scn.targets, skipped: scn.skipped ?? {}, wrkHeaders: scn.wrkHeaders ?? null });
    const cs = scn.contestants;
    if (!cs.length) { res.error = 'no contestant started'; for (const p of procs.reverse()) await stopChild(p); return; }
    for (const c of cs) this.log(`  ready: ${c.key} (${c.label}) ${c.url}${this.opts.hold ? ` pids ${c.procs.map((p) => `${p.name}=${p.pid}`).join(' ')}`
      + `${c.headers ? ` wrk ${Object.entries(c.headers).map(([k, v]) => `-H '${k}: ${v}'`).join(' ')}` : ''}` : ''}`);
    if (this.opts.hold) {
      this.log('  holding (--hold): Ctrl-C stops');
      while (!isStopping()) await sleep(500);
      for (const p of procs.reverse()) await stopChild(p);
      return;
    }
    try {
      this.log(`  warm-up: ${this.opts.warmup} s per contestant`);
      for (const c of cs) {
        const r = await this.wrk(c, this.opts.warmup, { quiet: false });
        this.log(`    warm-up ${c.key}: ${r.ok ? `${fmtInt(r.rps)} req/s${r.errorCount ? `, ${r.errorCount} errors` : ''}` : r.error}`);
        await sleep(500);
      }
      const n = cs.length;
      for (let round = 0; round < this.opts.rounds && !isStopping(); round++) {
        const order = cs.map((_, i) => cs[(i + round) % n]); // rotate: nobody always first
        for (const c of order) {
          const r = await settledRun((d, o) => this.wrk(c, d, o), this.opts.settle, this.opts.duration);
          const { raw, ...rest } = r;
          res.runs.push({ round: round + 1, key: c.key, noisy: isNoisy(r), ...rest });
          this.log(`  [round ${round + 1}/${this.opts.rounds}] ${c.key.padEnd(14)} `
            + (r.ok
              ? `${fmtInt(r.rps).padStart(8)} req/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  cpu0 ${fmt(r.cpu.cpu0, 0)}% cpu1 ${fmt(r.cpu.cpu1, 0)}%`
                + `${r.cpu.foreign >= 5 ? `  other procs ${fmt(r.cpu.foreign, 0)}% (${r.cpu.foreignTop})${isNoisy(r) ? ' NOISY' : ''}` : ''}`
                + `${r.errorCount ? `  errors ${r.errorCount}` : ''}`
                + settleText(r)
              : `FAILED: ${r.error}`));
          await sleep(1000);
        }
      }
    } finally {
      res.logLines = accessLogLines(procs);
      for (const p of procs.reverse()) await stopChild(p);
    }
    this.summarize(res, cs);
  }

  summarize(res, cs) {
    for (const c of cs) {
      const ok = res.runs.filter((r) => r.key === c.key && r.ok);
      const clean = ok.filter((r) => !isNoisy(r));
      const rs = clean.length ? clean : ok;
      const p50 = median(rs.map((r) => r.p50));
      const p99 = median(rs.map((r) => r.p99));
      const row = {
        key: c.key, contestant: c.label, hops: c.hops, connections: this.opts.connections,
        rounds: rs.length, noisyRuns: ok.length - clean.length, allNoisy: ok.length > 0 && !clean.length,
        failedRuns: res.runs.filter((r) => r.key === c.key && !r.ok).length,
        rps: median(rs.map((r) => r.rps)), p50ms: p50, p99ms: p99, p99OverP50: p50 && p99 ? p99 / p50 : null,
        settleP99OverP50: settleP99OverP50(rs),
        cpu0: median(rs.map((r) => r.cpu?.cpu0)), cpu1: median(rs.map((r) => r.cpu?.cpu1)),
        foreignCpu: median(rs.map((r) => r.cpu?.foreign)), errors: rs.reduce((a, r) => a + r.errorCount, 0),
      };
      const flags = [];
      if (row.cpu0 !== null && row.cpu0 > 95 && (row.cpu1 ?? 0) < 90) flags.push('CPU0 (wrk+upstream) saturated');
      // Cache hits never reach the upstream: the wrk+upstream ceiling does not bound them.
      if (!c.cacheHits && this.upstream.ceilingRps && row.rps && row.rps > 0.9 * this.upstream.ceilingRps) flags.push('near upstream ceiling');
      if (row.allNoisy) flags.push(`NOISY: other processes used >= ${NOISY_PCT}% CPU in every run (median ${Math.round(row.foreignCpu)}%)`);
      else if (row.noisyRuns) flags.push(`${row.noisyRuns} noisy run(s) left out`);
      if (row.errors) flags.push(`${row.errors} errors`);
      if (row.failedRuns) flags.push(`${row.failedRuns} failed run(s)`);
      row.flags = flags;
      res.rows.push(row);
    }
    for (const row of res.rows) {
      row.ratios = {};
      for (const ref of res.refs) {
        const r = res.rows.find((x) => x.key === ref);
        row.ratios[ref] = r?.rps && row.rps ? row.rps / r.rps : null;
      }
    }
    res.targets = res.targetDefs.map((t) => {
      const a = res.rows.find((r) => r.key === t.key);
      const b = res.rows.find((r) => r.key === t.ref);
      const ratio = a?.rps && b?.rps ? a.rps / b.rps : null;
      const missing = !a ? ` (${t.key} not measured${res.skipped[t.key] ? `: ${res.skipped[t.key].split('\n')[0]}` : ''})`
        : !b ? ` (${t.ref} not measured${res.skipped[t.ref] ? `: ${res.skipped[t.ref].split('\n')[0]}` : ''})` : '';
      const noisy = a?.allNoisy || b?.allNoisy ? ' [noisy]' : '';
      const paired = pairedRatio(res.runs.filter((r) => !r.noisy), t.key, t.ref);
      const line = `${t.line}: ${fmt(ratio)}${t.target !== undefined ? ` (target >= ${t.target.toFixed(2)})` : ''}${ratio === null ? missing : noisy}`
        + `; paired (median of same-round ratios): ${fmt(paired.median)} [${paired.ratios.map((x) => fmt(x)).join(', ')}]`;
      return { ...t, ratio, paired: paired.median, met: t.target !== undefined && ratio !== null ? ratio >= t.target : null, text: line };
    });
    res.markdown = this.table(res);
  }

  table(res) {
    const head = ['contestant', 'hops', 'req/s', 'p50 ms', 'p99 ms', 'p99/p50', 'settle p99/p50', ...res.refs.map((r) => `vs ${r}`), 'CPU1 %', 'CPU0 %', 'notes'];
    const lines = [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i === 0 || i === head.length - 1 ? ' --- ' : ' ---: ')).join('|')}|`];
    for (const r of res.rows) {
      lines.push(`| ${[r.contestant, r.hops, fmtInt(r.rps), fmt(r.p50ms), fmt(r.p99ms), fmt(r.p99OverP50), fmt(r.settleP99OverP50),
        ...res.refs.map((ref) => fmt(r.ratios[ref])), fmt(r.cpu1, 0), fmt(r.cpu0, 0), r.flags.join('; ')].join(' | ')} |`);
    }
    return lines.join('\n');
  }
}

/** An HTTPS GET to 127.0.0.1:port presenting no client certificate: { status } (0 = refused at the TLS layer). */
function tlsRequest(port, { ca, servername }) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => { if (!done) { done = true; resolve(v); } };
    const req = https.request({ host: '127.0.0.1', port, path: '/', ca, servername, agent: false, timeout: 3000, checkServerIdentity: () => undefined }, (res) => {
      res.resume();
      res.on('end', () => finish({ status: res.statusCode }));
      res.on('error', (e) => finish({ status: 0, error: e }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => finish({ status: 0, error: e }));
    req.end();
    setTimeout(() => { req.destroy(); finish({ status: 0, error: new Error('timeout') }); }, 4000).unref();
  });
}

/** Newline count of each process's log (meshgate: one access-log line per request) and nginx access logs. */
function accessLogLines(procs) {
  const out = {};
  for (const p of procs) {
    const files = [p.log];
    if (p.log2) files.push(p.log2.replace(/-error\.log$/, '-access.log'));
    for (const f of files) {
      try {
        const buf = fs.readFileSync(f);
        let n = 0;
        for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
        out[path.basename(f)] = n;
      } catch { /* no file */ }
    }
  }
  return out;
}

async function main() {
  let opts;
  try { opts = parseCli(process.argv.slice(2)); } catch (err) { console.error(`${err.message}\n${USAGE}`); return 2; }
  if (opts.help) { console.log(USAGE); return 0; }
  installCleanupHandlers();
  const dir = makeTempDir('meshgate-policies-');
  const bench = new Policies(opts, dir);
  if (!bench.tools.wrk) { console.error('wrk not found: run `bash deploy/setup/install-bench-tools.sh` first'); return 1; }
  const pinning = hasTaskset()
    ? `proxy under test on CPU ${PROXY_CPU} (both hops for mtls); wrk -t1, the upstream and consul on CPU ${LOAD_CPU}`
    : 'taskset unavailable: NOTHING IS PINNED, numbers are noisy';
  if (hasTaskset()) spawnSync('taskset', ['-a', '-p', '-c', String(LOAD_CPU), String(process.pid)], { stdio: 'ignore' });
  const started = new Date();
  bench.log(`meshgate policy bench - ${started.toISOString()} - ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`);
  bench.log(`pinning: ${pinning}`);
  bench.log(`Node proxies (meshgate and the undici forwarders): node ${PROXY_NODE.slice(1).join(' ') || '(V8 defaults)'}`);
  bench.log(`comparisons: ${opts.only.join(', ')}; ${opts.rounds} round(s) x ${opts.duration} s${opts.settle ? ` (each after ${opts.settle} s of settle load)` : ''}, ${opts.warmup} s warm-up, ${opts.connections} connections`);
  bench.log(`temp dir: ${dir}${process.env.BENCH_KEEP_TMP ? ' (kept)' : ' (removed at exit; BENCH_KEEP_TMP=1 keeps it)'}`);
  if (os.cpus().length < 2) bench.note('fewer than 2 CPUs: pinning to CPU 1 will fail');

  await bench.startUpstream();
  for (const name of opts.only) {
    if (isStopping()) break;
    await bench.runScenario(name);
  }
  if (isStopping()) {
    bench.log('\ninterrupted: results not written');
    return 130;
  }

  bench.log(`\n## meshgate policy bench (median of ${opts.rounds} round(s), ${opts.duration} s per run, wrk -t1 -c${opts.connections}; `
    + `runs disturbed by other processes (>= ${NOISY_PCT}% of a core) left out when a clean run exists)\n`);
  bench.log(`upstream: ${bench.upstream.kind} (${bench.upstream.bodyBytes}-byte text/plain body), direct ceiling ~${fmtInt(bench.upstream.ceilingRps)} req/s; pinning: ${pinning}`);
  bench.log('access logs: meshgate -> stdout (JSON line per request) -> file; nginx -> file (combined, buffer=64k flush=1s); undici forwarders: none');
  const targetLines = [];
  for (const name of opts.only) {
    const res = bench.results[name];
    bench.log(`\n### ${res.title ?? name}\n`);
    if (res.error) { bench.log(`not measured: ${res.error.split('\n')[0]}`); continue; }
    if (res.wrkHeaders) bench.log(`wrk headers: ${res.wrkHeaders}\n`);
    bench.log(res.markdown);
    for (const [k, why] of Object.entries(res.skipped)) bench.log(`skipped: ${k}: ${why.split('\n')[0]}`);
  }
  bench.log('');
  for (const name of opts.only) {
    const res = bench.results[name];
    if (res.error) { const l = `${name}: not measured (${res.error.split('\n')[0]})`; targetLines.push(l); bench.log(l); continue; }
    for (const t of res.targets) { targetLines.push(t.text); bench.log(t.text); }
  }
  const noisyRows = opts.only.flatMap((n) => bench.results[n].rows ?? []).filter((r) => r.allNoisy || r.noisyRuns);
  if (noisyRows.length) {
    bench.log(`\nWARNING: ${noisyRows.length} row(s) measured while other processes used >= ${NOISY_PCT}% of a core `
      + '(see notes); re-run on a quiet machine for numbers to quote.');
  }

  const result = {
    version: 1,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, node: process.version, platform: `${os.type()} ${os.release()}` },
    tools: {
      wrk: version([bench.tools.wrk, '-v'], /wrk (\S+ \S+)/),
      nginx: bench.tools.nginx ? version([bench.tools.nginx, '-v'], /nginx\/(\S+)/) : null,
      openssl: bench.tools.openssl ? version([bench.tools.openssl, 'version'], /OpenSSL (\S+)/) : null,
      consul: bench.consulVersion ?? null,
    },
    options: { rounds: opts.rounds, durationS: opts.duration, warmupS: opts.warmup, settleS: opts.settle, connections: opts.connections, quietWaitS: opts.quietWait, only: opts.only },
    pinning,
    nodeFlags: PROXY_NODE.slice(1),
    upstream: { kind: bench.upstream.kind, port: bench.upstream.port, bodyBytes: bench.upstream.bodyBytes, contentType: bench.upstream.contentType, ceilingRps: bench.upstream.ceilingRps },
    notes: bench.notes,
    targets: targetLines,
    comparisons: Object.fromEntries(opts.only.map((n) => {
      const { targetDefs, ...r } = bench.results[n];
      return [n, r];
    })),
  };
  writeResults(opts.out, result, (line) => bench.log(line));
  return 0;
}

await runBench(main);
