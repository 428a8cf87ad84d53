// Child-process bookkeeping for the benchmark: every child runs in its own process
// group (detached), its output goes to a log file, and all of them are ended
// (SIGTERM to the group, SIGKILL after 3 s) on normal exit, on error and on signals.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NODE_FLAGS } from '../../../dist/agent/node-flags.js';

/**
 * `node` plus the V8 flags every Node proxy under test runs with - meshgate's own (agent/node-flags.ts)
 * for meshgate and the reference forwarders alike, so that ratios compare code, not heap settings.
 * BENCH_NODE_FLAGS overrides them (BENCH_NODE_FLAGS= runs with V8's defaults).
 */
export const PROXY_NODE = Object.freeze([process.execPath,
  ...(process.env.BENCH_NODE_FLAGS !== undefined ? process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean) : NODE_FLAGS)]);

const children = new Set(); // { name, pid, child, exited: Promise<{code, signal}>, log }
const tempDirs = new Set();
let cleaningUp = null;

/** True once cleanup has begun (signal, error, exit): loops should stop starting work. */
export function isStopping() {
  return cleaningUp !== null;
}

let tasksetOk = null;
export function hasTaskset() {
  if (tasksetOk === null) {
    const r = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    tasksetOk = r.status === 0;
  }
  return tasksetOk;
}

/** Wraps argv with `taskset -c <cpu>` when taskset works (cpu may be null: no pinning). */
export function pinned(cpu, argv) {
  if (cpu === null || cpu === undefined || !hasTaskset()) return argv;
  return ['taskset', '-c', String(cpu), ...argv];
}

export function makeTempDir(prefix = 'meshgate-bench-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/**
 * Starts a long-running child. stdout+stderr go to `log` (a file path).
 * Returns a handle { name, pid, log, exited, alive() }.
 */
export function startChild(name, argv, { log, cwd, env, cpu = null } = {}) {
  if (isStopping()) throw new Error('stopping');
  const full = pinned(cpu, argv);
  const fd = fs.openSync(log, 'a');
  let child;
  try {
    child = spawn(full[0], full.slice(1), {
      cwd, env: env ?? process.env, detached: true, stdio: ['ignore', fd, fd],
    });
  } finally {
    fs.closeSync(fd);
  }
  const handle = { name, pid: child.pid, child, log, code: undefined, signal: undefined };
  handle.exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      handle.code = code; handle.signal = signal;
      children.delete(handle);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      handle.code = -1; handle.error = err;
      children.delete(handle);
      resolve({ code: -1, signal: null, error: err });
    });
  });
  handle.alive = () => handle.code === undefined;
  if (child.pid === undefined) {
    handle.code = -1;
  } else {
    children.add(handle);
  }
  return handle;
}

function killGroup(pid, sig) {
  try { process.kill(-pid, sig); return true; } catch { /* group gone */ }
  try { process.kill(pid, sig); return true; } catch { return false; }
}

/** SIGTERM to the child's process group, SIGKILL after graceMs. */
export async function stopChild(handle, graceMs = 3000) {
  if (!handle || !handle.alive()) return;
  killGroup(handle.pid, 'SIGTERM');
  let timer;
  const timedOut = new Promise((r) => { timer = setTimeout(() => r('timeout'), graceMs); });
  const res = await Promise.race([handle.exited.then(() => 'exited'), timedOut]);
  clearTimeout(timer);
  if (res === 'timeout') {
    killGroup(handle.pid, 'SIGKILL');
    await Promise.race([handle.exited, new Promise((r) => setTimeout(r, 1000))]);
  }
  // Group members that outlived the leader (nginx workers, ...).
  killGroup(handle.pid, 'SIGKILL');
}

export function tailLog(file, lines = 15) {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function cleanupAll() {
  if (cleaningUp) return cleaningUp;
  cleaningUp = (async () => {
    await Promise.all([...children].map((c) => stopChild(c)));
    for (const dir of tempDirs) {
      if (process.env.BENCH_KEEP_TMP) { process.stderr.write(`bench: keeping ${dir}\n`); continue; }
      try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* ignore */ }
    }
    tempDirs.clear();
  })();
  return cleaningUp;
}

/** Last-resort synchronous cleanup for process 'exit'. */
function cleanupSync() {
  for (const c of children) killGroup(c.pid, 'SIGKILL');
  children.clear();
  for (const dir of tempDirs) {
    if (process.env.BENCH_KEEP_TMP) continue;
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* ignore */ }
  }
}

let installed = false;
export function installCleanupHandlers() {
  if (installed) return;
  installed = true;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}, stopping children ...\n`);
      const hard = setTimeout(() => process.exit(130), 8000);
      hard.unref();
      cleanupAll().finally(() => process.exit(130));
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: uncaught ${err?.stack ?? err}\n`);
    cleanupAll().finally(() => process.exit(1));
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: unhandled rejection ${err?.stack ?? err}\n`);
    cleanupAll().finally(() => process.exit(1));
  });
}

/** Runs a short command to completion with a hard time bound. */
export function runBounded(argv, { timeoutMs, cwd, env, cpu = null } = {}) {
  if (isStopping()) return Promise.resolve({ code: null, signal: null, stdout: '', stderr: 'stopping', timedOut: false });
  const full = pinned(cpu, argv);
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    const child = spawn(full[0], full.slice(1), { cwd, env: env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const handle = { name: argv[0], pid: child.pid, child, code: undefined };
    handle.alive = () => handle.code === undefined;
    handle.exited = new Promise((r) => child.once('close', r));
    if (child.pid !== undefined) children.add(handle);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), 3000).unref();
    }, timeoutMs);
    child.once('error', (e) => { err += String(e); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      handle.code = code ?? -1;
      children.delete(handle);
      resolve({ code, signal, stdout: out, stderr: err, timedOut });
    });
  });
}

/** Process-group ids of everything this benchmark started, plus its own pid. */
export function ownGroupIds() {
  const ids = new Set([process.pid]);
  for (const c of children) if (c.pid !== undefined) ids.add(c.pid);
  return ids;
}

/** Writes a bench's JSON results and says where. */
export function writeResults(file, result, log) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const rel = path.relative(process.cwd(), file);
  log(`\nresults: ${rel && !rel.startsWith('..') ? rel : file}`);
}

/** Runs a bench's main(), stops every child it started whatever happens, exits with its code. */
export async function runBench(main) {
  let code = 1;
  try {
    code = await main();
  } catch (err) {
    console.error(`bench failed: ${err?.stack ?? err}`);
    code = 1;
  } finally {
    await cleanupAll();
  }
  process.exit(code);
}
