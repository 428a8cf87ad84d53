#!/usr/bin/env node
// meshgate benchmark harness: meshgate edge vs a minimal undici forwarder vs fastify-http-proxy
// vs nginx vs HAProxy (one hop), and meshgate edge -> sidecar vs nginx -> nginx vs forwarder ->
// forwarder (two hops), side by side in one run, interleaved rounds, wrk load.
// See test/bench/README.md. This is a benchmark: it asserts nothing about timing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import {
  deckConf, haproxyConf, meshEdgeConf, nginxProxyConf, nginxUpstreamConf, sidecarConf, UPSTREAM_BODY,
} from './lib/configs.mjs';
import { freePorts, httpGet, sleep, waitFor, waitForStatus } from './lib/net.mjs';
import {
  PROXY_NODE, hasTaskset, installCleanupHandlers, isStopping, makeTempDir, runBounded, startChild, stopChild, tailLog, runBench, writeResults,
} from './lib/proc.mjs';
import { foreignLoad } from './lib/cpu.mjs';
import { parseDurationMs, parseWrk, runWrk, settledRun, settleP99OverP50, settleText } from './lib/wrk.mjs';
import { median, pairedRatio, ratioOfMedians } from './lib/stats.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const NODE = process.execPath;
const LOAD_CPU = 0; // wrk + upstream (+ consul)
const PROXY_CPU = 1; // the proxy under test (both hops in the two-hop case)

const ONE_HOP = ['edge', 'forwarder', 'fastify', 'nginx', 'haproxy'];
const TWO_HOP = ['edge-2hop', 'forwarder-2hop', 'nginx-2hop'];
const ALL = [...ONE_HOP, ...TWO_HOP];
const LABELS = {
  edge: 'meshgate edge',
  forwarder: 'minimal undici forwarder',
  fastify: 'fastify-http-proxy',
  nginx: 'nginx',
  haproxy: 'HAProxy',
  'edge-2hop': 'meshgate edge -> sidecar',
  'forwarder-2hop': 'forwarder -> forwarder',
  'nginx-2hop': 'nginx -> nginx',
};
// A run during which processes this benchmark did not start used >= this % of a core
// is "noisy": it only counts when a cell has no clean run at all.
const NOISY_PCT = 15;
const REF = { // ratio references per hop count
  1: { forwarder: 'forwarder', nginx: 'nginx' },
  2: { forwarder: 'forwarder-2hop', nginx: 'nginx-2hop' },
};

const USAGE = `usage: node test/bench/run.mjs [options]
  --only LIST         contestants, comma-separated: ${ALL.join(',')}
                      (also: two-hop = all two-hop contestants); default: all
  --no-two-hop        skip the two-hop contestants (--two-hop, on by default)
  --no-shared-core    skip the shared-core comparison: the edge and the minimal forwarder
                      loaded at the same time on the same proxy core, each by its own wrk;
                      their req/s ratio per round is the two programs' per-request CPU cost
                      ratio, measured under the same machine conditions (on by default)
  --rounds N          interleaved measurement rounds (default 3)
  --duration S        seconds per wrk run (default 10)
  --warmup S          warm-up seconds per contestant (default 3)
  --settle S          before every measured run, S s of the same load on the same contestant,
                      not counted: the run starts on warm code and warm upstream connections
                      instead of after ~80 s idle (default 2, 1 with --quick; 0 = off). The
                      settle runs' own p99/p50 is reported as the cold-start tail
  --connections LIST  wrk connection counts, comma-separated (default 50,200)
  --upstream KIND     auto | nginx | node (default auto: the faster one, measured)
  --quiet-wait S      before each run, wait up to S s while processes this run did
                      not start use > 25% of a core (default 30; 0 = never wait)
  --retries N         extra runs (at most N) for a contestant/connections cell whose
                      runs were all noisy (default 1, 0 with --quick)
  --quick             smoke run: 1 round, 3 s runs, 2 s warm-up
  --base DIR          also measure the edge of another built checkout (DIR/bin/meshgate.js, e.g. a
                      git worktree of an older commit) as contestant edge-base; the shared-core
                      rounds then pair edge with edge-base instead of the forwarder
  --out FILE          JSON results (default test/bench/results/latest.json)
  --self-test         check the wrk output parser and exit
Environment: BENCH_KEEP_TMP=1 keeps the temp dir (configs, logs);
             MESHGATE_BIN=path overrides bin/meshgate.js.`;

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string' },
      'two-hop': { type: 'boolean' },
      'no-two-hop': { type: 'boolean' },
      'no-shared-core': { type: 'boolean' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      settle: { type: 'string' },
      connections: { type: 'string' },
      upstream: { type: 'string' },
      'quiet-wait': { type: 'string' },
      retries: { type: 'string' },
      quick: { type: 'boolean' },
      out: { type: 'string' },
      base: { type: 'string' },
      'self-test': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  const num = (v, def, name) => {
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const opts = {
    help: !!values.help,
    selfTest: !!values['self-test'],
    rounds: Math.round(num(values.rounds, values.quick ? 1 : 3, 'rounds')),
    duration: num(values.duration, values.quick ? 3 : 10, 'duration'),
    warmup: num(values.warmup, values.quick ? 2 : 3, 'warmup'),
    settle: values.settle === '0' ? 0 : num(values.settle, values.quick ? 1 : 2, 'settle'),
    quietWait: values['quiet-wait'] === '0' ? 0 : num(values['quiet-wait'], 30, 'quiet-wait'),
    retries: values.retries === '0' ? 0 : Math.round(num(values.retries, values.quick ? 0 : 1, 'retries')),
    connections: (values.connections ?? '50,200').split(',').map((s) => Math.round(num(s.trim(), 0, 'connections'))),
    upstream: values.upstream ?? 'auto',
    out: path.resolve(values.out ?? path.join(HERE, 'results', 'latest.json')),
    twoHop: !values['no-two-hop'],
    sharedCore: !values['no-shared-core'],
    base: values.base ? path.resolve(values.base) : null,
  };
  if (!['auto', 'nginx', 'node'].includes(opts.upstream)) throw new Error('--upstream must be auto, nginx or node');
  let selected = new Set(ALL);
  if (values.only) {
    selected = new Set();
    for (const raw of values.only.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (raw === 'two-hop') TWO_HOP.forEach((c) => selected.add(c));
      else if (ALL.includes(raw)) selected.add(raw);
      else throw new Error(`--only: unknown contestant "${raw}" (known: ${ALL.join(', ')}, two-hop)`);
    }
  }
  if (!opts.twoHop) TWO_HOP.forEach((c) => selected.delete(c));
  if (opts.base) {
    selected.add('edge-base');
    const sha = spawnSync('git', ['-C', opts.base, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim();
    LABELS['edge-base'] = `meshgate edge at ${sha || opts.base}`;
  }
  opts.sharedPartner = opts.base ? 'edge-base' : 'forwarder';
  opts.selected = selected;
  return opts;
}

// ---------------------------------------------------------------------------- tools

function which(cmd, fallback) {
  if (fallback && fs.existsSync(fallback)) return fallback;
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function version(argv, re) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 5000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const m = re.exec(text);
  return m ? m[1] : null;
}

// ---------------------------------------------------------------------------- stats


const fmt = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
const fmtInt = (x) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'));

function isNoisy(r) {
  return !!r.ok && typeof r.cpu?.foreign === 'number' && r.cpu.foreign >= NOISY_PCT;
}

// ---------------------------------------------------------------------------- contestants

/** Every started contestant: { key, label, hops, url, procs: [handles], notes: [] } */
class Bench {
  constructor(opts, dir) {
    this.opts = opts;
    this.dir = dir;
    this.notes = [];
    this.skipped = {}; // key -> reason
    this.contestants = [];
    // See nginxProxyConf: an idle pool smaller than the concurrency makes nginx reconnect.
    this.nginxKeepalive = Math.max(128, ...opts.connections);
    this.tools = {
      wrk: which('wrk', '/usr/bin/wrk'),
      nginx: which('nginx', '/usr/sbin/nginx'),
      haproxy: which('haproxy', '/usr/sbin/haproxy'),
    };
  }

  log(msg) { process.stdout.write(`${msg}\n`); }

  note(msg) { this.notes.push(msg); this.log(`note: ${msg}`); }

  skip(key, reason) {
    this.skipped[key] = reason;
    this.log(`SKIPPED ${key} (${LABELS[key]}): ${reason}`);
  }

  logFile(name) { return path.join(this.dir, `${name}.log`); }

  start(name, argv, cpu, extra = {}) {
    return startChild(name, argv, { log: this.logFile(name), cwd: ROOT, cpu, ...extra });
  }

  /** Waits for GET url === 200 while every handle in `procs` stays alive. */
  async ready(url, procs, timeoutMs = 20000) {
    const abort = () => {
      const dead = procs.find((p) => !p.alive());
      return dead ? `${dead.name} exited (code ${dead.code}${dead.signal ? `, ${dead.signal}` : ''})` : null;
    };
    return waitForStatus(url, { timeoutMs, abort });
  }

  failInfo(procs) {
    return procs.map((p) => `--- ${p.name} log (${p.log}):\n${tailLog(p.log)}`).join('\n');
  }

  async startNginx(name, confArgs, cpu) {
    const conf = confArgs.upstreamPort === undefined
      ? nginxUpstreamConf(this.dir, { ...confArgs, name })
      : nginxProxyConf(this.dir, { ...confArgs, name, keepalive: this.nginxKeepalive });
    const argv = [this.tools.nginx, '-p', this.dir, '-c', conf, '-e', path.join(this.dir, `${name}-error.log`)];
    const h = this.start(name, argv, cpu);
    h.log2 = path.join(this.dir, `${name}-error.log`);
    return h;
  }

  // ---- upstream

  async startUpstream() {
    const { opts } = this;
    const kinds = opts.upstream === 'auto' ? ['nginx', 'node'] : [opts.upstream];
    if (!this.tools.nginx && kinds.includes('nginx')) {
      if (opts.upstream === 'nginx') throw new Error('nginx not found; run deploy/setup/install-bench-tools.sh');
      kinds.splice(kinds.indexOf('nginx'), 1);
    }
    const started = [];
    for (const kind of kinds) {
      const [port] = await freePorts(1);
      const h = kind === 'nginx'
        ? await this.startNginx('upstream-nginx', { port }, LOAD_CPU)
        : this.start('upstream-node', [NODE, path.join(HERE, 'upstream.mjs'), '--listen', `127.0.0.1:${port}`], LOAD_CPU);
      const r = await this.ready(`http://127.0.0.1:${port}/`, [h], 10000);
      if (!r.ok) {
        this.note(`upstream ${kind} did not start: ${r.reason}\n${this.failInfo([h])}`);
        await stopChild(h);
        continue;
      }
      started.push({ kind, port, h });
    }
    if (!started.length) throw new Error('no upstream could be started');
    // Calibrate: wrk -> upstream directly, both on CPU 0. This is also the ceiling any
    // proxied contestant can reach, since CPU 0 does the same work per proxied request.
    const maxC = Math.max(...opts.connections);
    const calDur = opts.duration >= 10 ? 3 : 2;
    for (const u of started) {
      await runWrk({ url: `http://127.0.0.1:${u.port}/`, connections: maxC, durationS: 1, cpu: LOAD_CPU, wrkBin: this.tools.wrk });
      const r = await runWrk({ url: `http://127.0.0.1:${u.port}/`, connections: maxC, durationS: calDur, cpu: LOAD_CPU, wrkBin: this.tools.wrk });
      u.calibration = r.ok ? { rps: r.rps, p50: r.p50, p99: r.p99, cpu: r.cpu } : { error: r.error };
      this.log(`upstream ${u.kind}: direct ${r.ok ? `${fmtInt(r.rps)} req/s (wrk + upstream on CPU ${LOAD_CPU}, ${maxC} conns)` : r.error}`);
    }
    started.sort((a, b) => (b.calibration.rps ?? 0) - (a.calibration.rps ?? 0));
    const [chosen, ...rest] = started;
    for (const u of rest) await stopChild(u.h);
    this.upstream = {
      kind: chosen.kind,
      port: chosen.port,
      bodyBytes: Buffer.byteLength(UPSTREAM_BODY),
      ceilingRps: chosen.calibration.rps ?? null,
      calibration: Object.fromEntries(started.map((u) => [u.kind, u.calibration])),
    };
    this.log(`upstream: ${chosen.kind === 'nginx' ? 'nginx (return 200, 1 worker)' : 'node:http'} on 127.0.0.1:${chosen.port}, `
      + `${this.upstream.bodyBytes}-byte body, pinned to CPU ${LOAD_CPU}; `
      + `ceiling ~${fmtInt(this.upstream.ceilingRps)} req/s${started.length > 1 ? ' (chosen as the faster one)' : ''}`);
  }

  // ---- contestants

  add(key, hops, port, procs, info = {}) {
    this.contestants.push({ key, label: LABELS[key], hops, url: `http://127.0.0.1:${port}/`, procs, ...info });
    this.log(`ready: ${key} (${LABELS[key]}) on 127.0.0.1:${port}`);
  }

  async tryStart(key, fn) {
    if (!this.opts.selected.has(key)) return;
    try {
      const why = await fn();
      if (typeof why === 'string') this.skip(key, why);
    } catch (err) {
      this.skip(key, err?.message ?? String(err));
    }
  }

  meshgateBin(key = 'edge') {
    const bin = key === 'edge-base' ? path.join(this.opts.base, 'bin', 'meshgate.js')
      : process.env.MESHGATE_BIN ? path.resolve(process.env.MESHGATE_BIN) : path.join(ROOT, 'bin', 'meshgate.js');
    if (!fs.existsSync(bin)) return { error: `${path.relative(ROOT, bin)} not found (is the agent built? npm run build)` };
    return { bin };
  }

  async startEdge(key = 'edge') {
    const { bin, error } = this.meshgateBin(key);
    if (error) return error;
    const [port, admin] = await freePorts(2);
    const deck = deckConf(this.dir, { upstreamPort: this.upstream.port });
    const h = this.start(key, [...PROXY_NODE, bin, 'agent', '--config', deck, '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${admin}`], PROXY_CPU);
    let r = await this.ready(`http://127.0.0.1:${admin}/ready`, [h], 20000);
    if (r.ok) r = await this.ready(`http://127.0.0.1:${port}/`, [h], 10000);
    if (!r.ok) {
      await stopChild(h);
      return `did not become ready: ${r.reason}\n${this.failInfo([h])}`;
    }
    this.add(key, 1, port, [h], { accessLog: h.log });
    return null;
  }

  async startForwarder(key = 'forwarder') {
    if (key === 'forwarder') {
      const [port] = await freePorts(1);
      const h = this.start('forwarder', [...PROXY_NODE, path.join(HERE, 'minimal-forwarder.mjs'), '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${this.upstream.port}`], PROXY_CPU);
      const r = await this.ready(`http://127.0.0.1:${port}/`, [h]);
      if (!r.ok) { await stopChild(h); return `did not start: ${r.reason}\n${this.failInfo([h])}`; }
      this.add(key, 1, port, [h]);
      return null;
    }
    const [p1, p2] = await freePorts(2);
    const fwd = path.join(HERE, 'minimal-forwarder.mjs');
    const h2 = this.start('forwarder-hop2', [...PROXY_NODE, fwd, '--listen', `127.0.0.1:${p2}`, '--upstream', `http://127.0.0.1:${this.upstream.port}`], PROXY_CPU);
    const h1 = this.start('forwarder-hop1', [...PROXY_NODE, fwd, '--listen', `127.0.0.1:${p1}`, '--upstream', `http://127.0.0.1:${p2}`], PROXY_CPU);
    const r = await this.ready(`http://127.0.0.1:${p1}/`, [h1, h2]);
    if (!r.ok) { await stopChild(h1); await stopChild(h2); return `did not start: ${r.reason}\n${this.failInfo([h1, h2])}`; }
    this.add(key, 2, p1, [h1, h2]);
    return null;
  }

  async startFastify() {
    const [port] = await freePorts(1);
    const h = this.start('fastify', [...PROXY_NODE, path.join(HERE, 'fastify-forwarder.mjs'), '--listen', `127.0.0.1:${port}`, '--upstream', `http://127.0.0.1:${this.upstream.port}`], PROXY_CPU);
    const r = await this.ready(`http://127.0.0.1:${port}/`, [h]);
    if (!r.ok) { await stopChild(h); return `did not start: ${r.reason}\n${this.failInfo([h])}`; }
    this.add('fastify', 1, port, [h]);
    return null;
  }

  async startNginxProxy(key = 'nginx') {
    if (!this.tools.nginx) return 'nginx not found (run deploy/setup/install-bench-tools.sh)';
    if (key === 'nginx') {
      const [port] = await freePorts(1);
      const h = await this.startNginx('nginx', { port, upstreamPort: this.upstream.port }, PROXY_CPU);
      const r = await this.ready(`http://127.0.0.1:${port}/`, [h]);
      if (!r.ok) { await stopChild(h); return `did not start: ${r.reason}\n${this.failInfo([h])}\n${tailLog(h.log2)}`; }
      this.add(key, 1, port, [h]);
      return null;
    }
    const [p1, p2] = await freePorts(2);
    const h2 = await this.startNginx('nginx-hop2', { port: p2, upstreamPort: this.upstream.port }, PROXY_CPU);
    const h1 = await this.startNginx('nginx-hop1', { port: p1, upstreamPort: p2 }, PROXY_CPU);
    const r = await this.ready(`http://127.0.0.1:${p1}/`, [h1, h2]);
    if (!r.ok) {
      await stopChild(h1); await stopChild(h2);
      return `did not start: ${r.reason}\n${this.failInfo([h1, h2])}\n${tailLog(h1.log2)}\n${tailLog(h2.log2)}`;
    }
    this.add(key, 2, p1, [h1, h2]);
    return null;
  }

  async startHaproxy() {
    if (!this.tools.haproxy) return 'haproxy not found (run deploy/setup/install-bench-tools.sh)';
    const [port] = await freePorts(1);
    const cfg = haproxyConf(this.dir, { port, upstreamPort: this.upstream.port });
    const h = this.start('haproxy', [this.tools.haproxy, '-f', cfg, '-db'], PROXY_CPU);
    const r = await this.ready(`http://127.0.0.1:${port}/`, [h]);
    if (!r.ok) { await stopChild(h); return `did not start: ${r.reason}\n${this.failInfo([h])}`; }
    this.add('haproxy', 1, port, [h]);
    return null;
  }

  async findConsul() {
    const script = path.join(ROOT, 'deploy', 'setup', 'install-consul.sh');
    if (!fs.existsSync(script)) return { error: 'deploy/setup/install-consul.sh not found' };
    const r = await runBounded(['bash', script], { timeoutMs: 300000, cwd: ROOT });
    const bin = r.stdout.trim().split('\n').pop()?.trim();
    if (r.code !== 0 || !bin || !fs.existsSync(bin)) {
      return { error: `install-consul.sh failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr.trim().slice(-400)}` };
    }
    return { bin };
  }

  async startMeshTwoHop() {
    const { bin, error } = this.meshgateBin();
    if (error) return error;
    const consul = await this.findConsul();
    if (consul.error) return consul.error;
    this.consulVersion = version([consul.bin, 'version'], /Consul (v\S+)/);
    const [cHttp, cLan, cWan, cServer, sAdmin, mesh, eAdmin, edgePort] = await freePorts(8);
    const procs = [];
    const fail = async (msg) => {
      const info = this.failInfo(procs);
      for (const p of procs.reverse()) await stopChild(p);
      return `${msg}\n${info}`;
    };
    const ch = this.start('consul', [consul.bin, 'agent', '-dev', '-bind=127.0.0.1', '-client=127.0.0.1',
      `-http-port=${cHttp}`, '-dns-port=-1', `-serf-lan-port=${cLan}`, `-serf-wan-port=${cWan}`,
      `-server-port=${cServer}`, '-grpc-port=-1'], LOAD_CPU);
    procs.push(ch);
    let r = await waitFor(async () => {
      const res = await httpGet(`http://127.0.0.1:${cHttp}/v1/status/leader`, 1500);
      if (res.status !== 200) return null;
      let leader = res.body.trim();
      try { leader = JSON.parse(leader); } catch { /* raw */ }
      return leader ? leader : null;
    }, { timeoutMs: 30000, abort: () => (!ch.alive() ? `consul exited (code ${ch.code})` : null) });
    if (!r.ok) return fail(`consul dev agent not ready: ${r.reason}`);

    // plain HTTP between the hops, like the forwarder and nginx pairs here (mTLS is compared in policies.mjs)
    const sc = sidecarConf(this.dir, { consulPort: cHttp, adminPort: sAdmin, meshPort: mesh, upstreamPort: this.upstream.port, mtls: false });
    const sh = this.start('sidecar', [...PROXY_NODE, bin, 'agent', '--config', sc], PROXY_CPU);
    procs.push(sh);
    r = await this.ready(`http://127.0.0.1:${sAdmin}/ready`, procs, 20000);
    if (!r.ok) return fail(`sidecar not ready: ${r.reason}`);

    const ec = meshEdgeConf(this.dir, { consulPort: cHttp, adminPort: eAdmin, edgePort, mtls: false });
    const eh = this.start('edge-mesh', [...PROXY_NODE, bin, 'agent', '--config', ec], PROXY_CPU);
    procs.push(eh);
    r = await this.ready(`http://127.0.0.1:${eAdmin}/ready`, procs, 20000);
    if (!r.ok) return fail(`mesh edge /ready: ${r.reason}`);
    r = await this.ready(`http://127.0.0.1:${edgePort}/`, procs, 30000);
    if (!r.ok) return fail(`mesh edge never answered 200 on /: ${r.reason}`);
    // Proxies under test first (their CPU is what is measured); consul only supports.
    this.add('edge-2hop', 2, edgePort, [eh, sh], { support: [ch] });
    return null;
  }

  async startAll() {
    await this.tryStart('edge', () => this.startEdge());
    if (this.opts.base) await this.tryStart('edge-base', () => this.startEdge('edge-base'));
    await this.tryStart('forwarder', () => this.startForwarder('forwarder'));
    await this.tryStart('fastify', () => this.startFastify());
    await this.tryStart('nginx', () => this.startNginxProxy('nginx'));
    await this.tryStart('haproxy', () => this.startHaproxy());
    await this.tryStart('edge-2hop', () => this.startMeshTwoHop());
    await this.tryStart('forwarder-2hop', () => this.startForwarder('forwarder-2hop'));
    await this.tryStart('nginx-2hop', () => this.startNginxProxy('nginx-2hop'));
  }

  // ---- measurement

  /**
   * Other processes on this 2-core machine (a build, an editor) skew the numbers: wait,
   * bounded, until they use less than `maxPct` % of one core, then measure anyway.
   */
  async waitQuiet(maxPct = 25, boundMs = this.opts.quietWait * 1000) {
    if (boundMs <= 0) return;
    const deadline = Date.now() + boundMs;
    let load = await foreignLoad(1500);
    if (load.foreignPct <= maxPct) return;
    process.stdout.write(`  (other processes use ${Math.round(load.foreignPct)}% CPU: ${load.foreignTop}; waiting up to ${boundMs / 1000} s)`);
    while (Date.now() < deadline) {
      load = await foreignLoad(1500);
      if (load.foreignPct <= maxPct) break;
    }
    process.stdout.write(load.foreignPct <= maxPct ? ' quiet\n' : ` still ${Math.round(load.foreignPct)}%, measuring anyway\n`);
  }

  async wrk(c, connections, durationS, { quiet = true } = {}) {
    if (isStopping()) return { ok: false, error: 'stopping' };
    // A contestant whose process died is not measured again.
    const dead = [...c.procs, ...(c.support ?? [])].find((p) => !p.alive());
    if (dead) return { ok: false, error: `${dead.name} exited (code ${dead.code})` };
    if (quiet) await this.waitQuiet();
    return runWrk({ url: c.url, connections, durationS, cpu: LOAD_CPU, wrkBin: this.tools.wrk });
  }

  /**
   * One measured run: `--settle` seconds of the same load first (not counted), then the run.
   * Between its runs a contestant idles ~80 s while the others are measured; the settle puts
   * what that idle costs (upstream keep-alive connections expired, JIT-cold connection paths)
   * into a run of its own, whose numbers are kept as the cold-start figures.
   */
  async measuredRun(c, connections, { quiet = true } = {}) {
    return settledRun((d, o) => this.wrk(c, connections, d, o), this.opts.settle, this.opts.duration, { quiet });
  }

  async measure() {
    const { opts } = this;
    const maxC = Math.max(...opts.connections);
    this.log(`\nwarm-up: ${opts.warmup} s per contestant at ${maxC} connections`);
    for (const c of this.contestants) {
      if (isStopping()) return;
      const r = await this.wrk(c, maxC, opts.warmup, { quiet: false });
      this.log(`  warm-up ${c.key}: ${r.ok ? `${fmtInt(r.rps)} req/s` : r.error}`);
      await sleep(500);
    }
    const runs = []; // { round, key, connections, ...result }
    const n = this.contestants.length;
    const totalRuns = opts.rounds * opts.connections.length * n;
    const estS = totalRuns * (opts.duration + opts.settle + 1.5);
    this.log(`\nmeasuring: ${opts.rounds} round(s) x ${opts.connections.length} connection level(s) x ${n} contestant(s), `
      + `${opts.duration} s each${opts.settle ? ` after ${opts.settle} s of settle load` : ''} (~${Math.ceil(estS / 60)} min)`);
    for (let round = 0; round < opts.rounds; round++) {
      for (const connections of opts.connections) {
        // Rotate the order every round so no contestant always runs first/last.
        const order = this.contestants.map((_, i) => this.contestants[(i + round) % n]);
        for (const c of order) {
          await this.measureOne(runs, c, connections, round + 1, `round ${round + 1}/${opts.rounds}`);
        }
      }
    }
    // Make-up runs for cells where every run was disturbed by other processes.
    for (let retry = 1; retry <= opts.retries; retry++) {
      for (const connections of opts.connections) {
        for (const c of this.contestants) {
          const cell = runs.filter((r) => r.key === c.key && r.connections === connections && r.ok);
          if (!cell.length || cell.some((r) => !isNoisy(r))) continue;
          await this.measureOne(runs, c, connections, `retry ${retry}`, `retry ${retry}/${opts.retries}`);
        }
      }
    }
    this.runs = runs;
  }

  /**
   * The edge and the minimal forwarder under load at the same time, both on the proxy core (the
   * scheduler gives each half of it while both are busy): the ratio of their req/s in a round is
   * the ratio of their per-request CPU costs, and whatever the machine does during the round (a
   * busy neighbour, a slower CPU) happens to both. Interleaved runs see this machine's speed
   * drift by 20-30 % from minute to minute; these ratios move by a few %.
   */
  async measureSharedCore() {
    const { opts } = this;
    const edge = this.contestants.find((c) => c.key === 'edge');
    const partner = opts.sharedPartner;
    const fwd = this.contestants.find((c) => c.key === partner);
    this.shared = [];
    if (!opts.sharedCore || !edge || !fwd) return;
    const rounds = Math.max(3, opts.rounds);
    this.log(`\nshared core: edge and ${partner} loaded at once on CPU ${PROXY_CPU}, ${rounds} round(s) x ${opts.connections.length} connection level(s), ${opts.duration} s each`);
    for (let round = 1; round <= rounds; round++) {
      for (const connections of opts.connections) {
        if (isStopping()) return;
        await this.waitQuiet();
        const [e, f] = await Promise.all([
          this.measuredRun(edge, connections, { quiet: false }), this.measuredRun(fwd, connections, { quiet: false }),
        ]);
        const ratio = e.ok && f.ok && f.rps ? e.rps / f.rps : null;
        this.shared.push({ round, connections, partner, edgeRps: e.ok ? e.rps : null, forwarderRps: f.ok ? f.rps : null, ratio,
          errors: (e.errorCount ?? 0) + (f.errorCount ?? 0), ...(e.ok && f.ok ? {} : { error: e.error ?? f.error }) });
        this.log(`  [shared ${round}/${rounds}] c=${String(connections).padStart(3)} edge ${fmtInt(e.rps).padStart(7)} req/s, ${partner} ${fmtInt(f.rps).padStart(7)} req/s: `
          + `ratio ${fmt(ratio)}${e.ok && f.ok ? '' : `  FAILED: ${e.error ?? f.error}`}`);
        await sleep(1000);
      }
    }
  }

  async measureOne(runs, c, connections, round, label) {
    if (isStopping()) return;
    const r = await this.measuredRun(c, connections);
    const { raw, ...rest } = r;
    runs.push({ round, key: c.key, connections, noisy: isNoisy(r), ...rest });
    this.log(`  [${label}] c=${String(connections).padStart(3)} ${c.key.padEnd(15)} `
      + (r.ok
        ? `${fmtInt(r.rps).padStart(8)} req/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  `
          + `cpu0 ${fmt(r.cpu.cpu0, 0)}% cpu1 ${fmt(r.cpu.cpu1, 0)}%`
          + `${r.cpu.foreign >= 5 ? `  other procs ${fmt(r.cpu.foreign, 0)}% (${r.cpu.foreignTop})${isNoisy(r) ? ' NOISY' : ''}` : ''}`
          + `${r.errorCount ? `  errors ${r.errorCount}` : ''}`
          + settleText(r)
        : `FAILED: ${r.error}`));
    await sleep(1000);
  }

  /** Lines in each access log (a sanity check that logging happened), before cleanup. */
  async accessLogLines() {
    const files = {
      edge: 'edge.log', 'edge-2hop (edge)': 'edge-mesh.log', 'edge-2hop (sidecar)': 'sidecar.log',
      nginx: 'nginx-access.log', 'nginx-2hop (hop1)': 'nginx-hop1-access.log', 'nginx-2hop (hop2)': 'nginx-hop2-access.log',
      haproxy: 'haproxy.log',
    };
    const out = {};
    for (const [k, f] of Object.entries(files)) {
      const file = path.join(this.dir, f);
      if (!fs.existsSync(file)) continue;
      let n = 0;
      for await (const chunk of fs.createReadStream(file)) {
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
      }
      out[k] = n;
    }
    return out;
  }

  summarize() {
    const rows = [];
    for (const c of this.contestants) {
      for (const connections of this.opts.connections) {
        const ok = this.runs.filter((r) => r.key === c.key && r.connections === connections && r.ok);
        const clean = ok.filter((r) => !isNoisy(r));
        const rs = clean.length ? clean : ok; // noisy runs count only when nothing else exists
        const failed = this.runs.filter((r) => r.key === c.key && r.connections === connections && !r.ok).length;
        const rps = median(rs.map((r) => r.rps));
        const p50 = median(rs.map((r) => r.p50));
        const p99 = median(rs.map((r) => r.p99));
        rows.push({
          key: c.key, contestant: c.label, hops: c.hops, connections,
          rounds: rs.length, noisyRuns: ok.length - clean.length, allNoisy: ok.length > 0 && !clean.length, failedRounds: failed,
          rps, p50ms: p50, p99ms: p99, p99OverP50: p50 && p99 ? p99 / p50 : null,
          settleP99OverP50: settleP99OverP50(rs),
          cpu0: median(rs.map((r) => r.cpu?.cpu0)), cpu1: median(rs.map((r) => r.cpu?.cpu1)),
          foreignCpu: median(rs.map((r) => r.cpu?.foreign)),
          errors: rs.reduce((a, r) => a + r.errorCount, 0),
        });
      }
    }
    for (const row of rows) {
      const ref = REF[row.hops];
      const f = rows.find((r) => r.key === ref.forwarder && r.connections === row.connections);
      const g = rows.find((r) => r.key === ref.nginx && r.connections === row.connections);
      row.vsForwarder = f?.rps && row.rps ? row.rps / f.rps : null;
      row.vsNginx = g?.rps && row.rps ? row.rps / g.rps : null;
      const flags = [];
      if (row.cpu0 !== null && row.cpu0 > 95 && (row.cpu1 ?? 0) < 90) flags.push('CPU0 (wrk+upstream) saturated');
      if (this.upstream.ceilingRps && row.rps && row.rps > 0.9 * this.upstream.ceilingRps) flags.push('near upstream ceiling');
      if (row.allNoisy) flags.push(`NOISY: in every run other processes used >= ${NOISY_PCT}% CPU (median ${Math.round(row.foreignCpu)}%)`);
      else if (row.noisyRuns) flags.push(`${row.noisyRuns} noisy run(s) left out`);
      if (row.errors) flags.push(`${row.errors} errors`);
      if (row.failedRounds) flags.push(`${row.failedRounds} failed run(s)`);
      row.flags = flags;
    }
    this.rows = rows;
    return rows;
  }

  table() {
    const head = ['contestant', 'hops', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'p99/p50', 'settle p99/p50', 'vs forwarder', 'vs nginx', 'CPU1 %', 'CPU0 %', 'notes'];
    const lines = [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i < 2 || i === head.length - 1 ? ' --- ' : ' ---: ')).join('|')}|`];
    for (const r of this.rows) {
      lines.push(`| ${[r.contestant, r.hops, r.connections, fmtInt(r.rps), fmt(r.p50ms), fmt(r.p99ms), fmt(r.p99OverP50), fmt(r.settleP99OverP50),
        fmt(r.vsForwarder), fmt(r.vsNginx), fmt(r.cpu1, 0), fmt(r.cpu0, 0), r.flags.join('; ')].join(' | ')} |`);
    }
    return lines.join('\n');
  }

  targets() {
    const c = this.opts.connections.includes(200) ? 200 : Math.max(...this.opts.connections);
    const edge = this.rows.find((r) => r.key === 'edge' && r.connections === c);
    const fwd = this.rows.find((r) => r.key === 'forwarder' && r.connections === c);
    const why = this.skipped.edge ? ` (edge not measured: ${this.skipped.edge.split('\n')[0]})`
      : !this.opts.selected.has('edge') ? ' (edge not selected)' : '';
    const ratio = edge?.rps && fwd?.rps ? edge.rps / fwd.rps : null;
    const paired = pairedRatio(this.runs.filter((r) => !r.noisy), 'edge', 'forwarder', (r) => r.connections === c);
    const tail = edge?.p99OverP50 ?? null;
    const lines = [
      `edge/undici-forwarder req/s ratio @${c} conns: ${fmt(ratio)} (target >= 0.90)${ratio === null ? why || (!fwd ? ' (forwarder not measured)' : '') : ''}`,
      `edge/undici-forwarder paired ratio @${c} conns (median over rounds of same-round ratios): ${fmt(paired.median)} [${paired.ratios.map((x) => fmt(x)).join(', ')}]`,
      `edge p99/p50 @${c} conns: ${fmt(tail)} (target <= 3)${tail === null ? why : ''}`,
    ];
    // issue 17: the edge does at least twice what a Node gateway does on one core
    const edgeVsFastify = {};
    for (const conns of this.opts.connections) {
      const e = this.rows.find((r) => r.key === 'edge' && r.connections === conns);
      const f = this.rows.find((r) => r.key === 'fastify' && r.connections === conns);
      if (!e?.rps || !f?.rps) continue;
      const p = pairedRatio(this.runs.filter((r) => !r.noisy), 'edge', 'fastify', (r) => r.connections === conns);
      edgeVsFastify[conns] = { ratio: e.rps / f.rps, paired: p.median };
      lines.push(`edge/fastify-http-proxy req/s ratio @${conns} conns: ${fmt(e.rps / f.rps)}; paired ${fmt(p.median)} [${p.ratios.map((x) => fmt(x)).join(', ')}] (target >= 2.0)`);
    }
    if (this.opts.settle > 0) {
      lines.push(`edge p99/p50 @${c} conns in the ${this.opts.settle} s settle runs (cold start: each begins after the edge idled while the others ran): `
        + `${fmt(edge?.settleP99OverP50 ?? null)}; forwarder ${fmt(fwd?.settleP99OverP50 ?? null)}`);
    }
    if (this.opts.base) {
      for (const conns of this.opts.connections) {
        const b = pairedRatio(this.runs.filter((r) => !r.noisy), 'edge', 'edge-base', (r) => r.connections === conns);
        lines.push(`edge/${LABELS['edge-base']} paired ratio @${conns} conns (interleaved): ${fmt(b.median)} [${b.ratios.map((x) => fmt(x)).join(', ')}]`);
      }
    }
    const e2 = this.rows.find((r) => r.key === 'edge-2hop' && r.connections === c);
    if (e2) {
      lines.push(`edge->sidecar/nginx->nginx req/s ratio @${c} conns: ${fmt(e2.vsNginx)} (two hops, both on CPU ${PROXY_CPU})`);
      lines.push(`edge->sidecar/forwarder->forwarder req/s ratio @${c} conns: ${fmt(e2.vsForwarder)}`);
    }
    const sharedAt = (conns) => (this.shared ?? []).filter((r) => r.connections === conns && r.ratio !== null).map((r) => r.ratio);
    for (const conns of this.opts.connections) {
      const shared = sharedAt(conns);
      if (!shared.length) continue;
      lines.push(`edge/${this.opts.sharedPartner === 'forwarder' ? 'undici-forwarder' : this.opts.sharedPartner} shared-core ratio @${conns} conns (both loaded at once on CPU ${PROXY_CPU}; median over rounds): `
        + `${fmt(median(shared))} [${shared.map((x) => fmt(x)).join(', ')}]${conns === c ? ' (target >= 0.90)' : ''}`);
    }
    const sharedMedian = median(sharedAt(c));
    return {
      connections: c, edgeVsForwarder: ratio, edgeVsForwarderPaired: paired.median, edgeVsForwarderShared: sharedMedian, edgeP99OverP50: tail,
      edgeSettleP99OverP50: edge?.settleP99OverP50 ?? null, edgeVsFastify, lines,
    };
  }
}

// ---------------------------------------------------------------------------- self-test

async function selfTestSettle() {
  const calls = [];
  const fake = (ok) => async (d, o) => { calls.push([d, o.quiet]); return ok || calls.length > 1 ? { ok: true, rps: d * 100, p50: 1, p99: d } : { ok: false, error: 'x' }; };
  const r = await settledRun(fake(true), 2, 10);
  const bad = [];
  if (JSON.stringify(calls) !== '[[2,true],[10,false]]') bad.push(`settle calls ${JSON.stringify(calls)}`);
  if (r.rps !== 1000 || r.settle?.rps !== 200 || r.settle?.p99 !== 2) bad.push(`settled result ${JSON.stringify(r)}`);
  calls.length = 0;
  const off = await settledRun(fake(true), 0, 10);
  if (JSON.stringify(calls) !== '[[10,true]]' || off.settle !== null) bad.push(`--settle 0: ${JSON.stringify(calls)}`);
  calls.length = 0;
  const failed = await settledRun(fake(false), 2, 10);
  if (failed.ok !== false || calls.length !== 1 || failed.settle?.error !== 'x') bad.push(`failed settle: ${JSON.stringify(failed)}`);
  if (ratioOfMedians([4, 8, 6], [2, 2, null]) !== 3 || ratioOfMedians([1], [undefined]) !== null) bad.push('ratioOfMedians');
  if (settleP99OverP50([{ settle: { p50: 1, p99: 3 } }, { settle: null }]) !== 3 || settleP99OverP50([{ settle: null }]) !== null) bad.push('settleP99OverP50');
  if (settleText(r) !== '  (settle: 200 req/s, p99 2.00 ms)' || settleText(off) !== '') bad.push(`settleText: ${JSON.stringify(settleText(r))}`);
  for (const b of bad) console.log(`self-test: ${b}`);
  console.log(bad.length ? `self-test (settle) FAILED (${bad.length})` : 'self-test (settle) ok');
  return bad.length;
}

function selfTest() {
  const sample = `Running 3s test @ http://127.0.0.1:1234/
  1 threads and 200 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.77ms    1.20ms   1.02s    95.00%
    Req/Sec    25.80k     1.00k   27.00k    70.00%
  Latency Distribution
     50%  812.00us
     75%    7.90ms
     90%    8.50ms
     99%    1.50s
  77000 requests in 3.00s, 20.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:  25666.67
Transfer/sec:      6.67MB
`;
  const p = parseWrk(sample);
  const checks = [
    [p.rps, 25666.67], [p.p50, 0.812], [p.p75, 7.9], [p.p99, 1500], [p.avg, 7.77], [p.max, 1020],
    [p.requests, 77000], [p.errorCount, 9], [parseDurationMs('2.00m'), 120000], [parseDurationMs('5us'), 0.005],
  ];
  let bad = 0;
  for (const [got, want] of checks) {
    if (Math.abs(got - want) > 1e-6) { bad++; console.log(`self-test: got ${got}, want ${want}`); }
  }
  console.log(bad ? `self-test FAILED (${bad})` : 'self-test ok');
  return bad ? 1 : 0;
}

// ---------------------------------------------------------------------------- main

async function main() {
  let opts;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (err) {
    console.error(`${err.message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) { console.log(USAGE); return 0; }
  if (opts.selfTest) return selfTest() + await selfTestSettle() ? 1 : 0;

  installCleanupHandlers();
  const dir = makeTempDir();
  const bench = new Bench(opts, dir);
  if (!bench.tools.wrk) {
    console.error('wrk not found: run `bash deploy/setup/install-bench-tools.sh` first');
    return 1;
  }
  if (!opts.selected.size) { console.error('no contestant selected'); return 2; }
  const pinning = hasTaskset()
    ? `proxy under test on CPU ${PROXY_CPU} (taskset -c ${PROXY_CPU}); wrk (1 thread) + upstream on CPU ${LOAD_CPU}; `
      + `two-hop: both proxy hops share CPU ${PROXY_CPU}, consul on CPU ${LOAD_CPU}`
    : 'taskset unavailable: NOTHING IS PINNED, numbers are noisy';
  // This orchestrator (sampling /proc, spawning wrk) stays off the proxy's CPU.
  if (hasTaskset()) spawnSync('taskset', ['-a', '-p', '-c', String(LOAD_CPU), String(process.pid)], { stdio: 'ignore' });
  const started = new Date();
  bench.log(`meshgate bench - ${started.toISOString()} - ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}`);
  bench.log(`pinning: ${pinning}`);
  bench.log(`temp dir: ${dir}${process.env.BENCH_KEEP_TMP ? ' (kept)' : ' (removed at exit; BENCH_KEEP_TMP=1 keeps it)'}`);
  if (os.cpus().length < 2) bench.note('fewer than 2 CPUs: pinning to CPU 1 will fail');

  await bench.startUpstream();
  await bench.startAll();
  if (!bench.contestants.length) {
    console.error('no contestant could be started');
    return 1;
  }
  await bench.measure();
  await bench.measureSharedCore();
  const accessLogLines = await bench.accessLogLines();
  const rows = bench.summarize();
  const table = bench.table();
  const targets = bench.targets();

  const accessLogs = 'access logs: meshgate -> stdout (one JSON line per request) -> file; nginx -> file (combined, buffer=64k flush=1s); '
    + 'HAProxy -> stdout (log stdout format raw, option httplog) -> file; minimal forwarder and fastify-http-proxy: none (fastify\'s default logger: off)';
  bench.log(`\n## meshgate bench (median of ${opts.rounds} round(s), ${opts.duration} s per run${opts.settle ? ` after ${opts.settle} s of the same load, not counted` : ''}, wrk -t1; `
    + `runs disturbed by other processes (>= ${NOISY_PCT}% of a core) left out when a clean run exists)\n`);
  bench.log(`upstream: ${bench.upstream.kind} (${bench.upstream.bodyBytes}-byte body), direct ceiling ~${fmtInt(bench.upstream.ceilingRps)} req/s @${Math.max(...opts.connections)} conns`);
  bench.log(`pinning: ${pinning}`);
  bench.log(`${accessLogs}`);
  const shapes = `nginx: master_process on, worker_processes 1, upstream keepalive ${bench.nginxKeepalive} (>= max conns, else nginx reconnects per request); `
    + 'HAProxy: nbthread 1, http-reuse always; minimal forwarder: undici.Pool connections 128, pipelining 1; '
    + 'fastify-http-proxy: fastify defaults, @fastify/http-proxy with undici connections 128, pipelining 1; '
    + `Node proxies (meshgate and forwarders): node ${PROXY_NODE.slice(1).join(' ') || '(V8 defaults)'}`;
  bench.log(shapes);
  bench.log('"vs" columns: req/s relative to the forwarder / nginx contestant with the same hop count\n');
  bench.log(table);
  bench.log('');
  for (const [k, why] of Object.entries(bench.skipped)) bench.log(`skipped: ${k}: ${why.split('\n')[0]}`);
  for (const line of targets.lines) bench.log(line);

  const result = {
    version: 1,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? null, node: process.version, platform: `${os.type()} ${os.release()}` },
    tools: {
      wrk: version([bench.tools.wrk, '-v'], /wrk (\S+ \S+)/),
      nginx: bench.tools.nginx ? version([bench.tools.nginx, '-v'], /nginx\/(\S+)/) : null,
      haproxy: bench.tools.haproxy ? version([bench.tools.haproxy, '-v'], /version (\S+)/) : null,
      consul: bench.consulVersion ?? null,
    },
    options: { rounds: opts.rounds, durationS: opts.duration, warmupS: opts.warmup, settleS: opts.settle, quietWaitS: opts.quietWait, connections: opts.connections, selected: [...opts.selected] },
    pinning, accessLogs, shapes, nodeFlags: PROXY_NODE.slice(1),
    upstream: bench.upstream,
    skipped: bench.skipped,
    accessLogLines,
    notes: bench.notes,
    table: rows,
    targets: {
      connections: targets.connections, edgeVsForwarderRps: targets.edgeVsForwarder, edgeVsForwarderPaired: targets.edgeVsForwarderPaired,
      edgeVsForwarderShared: targets.edgeVsForwarderShared, edgeVsForwarderTarget: 0.9, edgeP99OverP50: targets.edgeP99OverP50, edgeP99OverP50Target: 3,
      edgeSettleP99OverP50: targets.edgeSettleP99OverP50, edgeVsFastify: targets.edgeVsFastify, edgeVsFastifyTarget: 2,
    },
    sharedCore: bench.shared ?? [],
    markdown: table,
    raw: bench.runs,
  };
  writeResults(opts.out, result, (line) => bench.log(line));
  return 0;
}

await runBench(main);
