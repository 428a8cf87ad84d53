// Runs wrk (pinned, bounded in time) and parses its --latency output.
import { cpuBusyPercent, readCpuTimes, startCpuSampler } from './cpu.mjs';
import { runBounded } from './proc.mjs';
import { ratioOfMedians } from './stats.mjs';

const TIME_UNITS = { us: 1e-3, ms: 1, s: 1e3, m: 60e3, h: 3600e3 };

/** "812.00us" | "1.23ms" | "2.05s" | "1.00m" -> milliseconds (number) or null. */
export function parseDurationMs(text) {
  const m = /^([0-9]+(?:\.[0-9]+)?)(us|ms|s|m|h)$/.exec(String(text).trim());
  if (!m) return null;
  return Number(m[1]) * TIME_UNITS[m[2]];
}

const SI = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 };

/** Parses wrk's stdout into numbers. Returns null when the essentials are missing. */
export function parseWrk(out) {
  const rps = /^Requests\/sec:\s+([0-9.]+)([kMG]?)\s*$/m.exec(out);
  if (!rps) return null;
  const pct = {};
  const dist = /Latency Distribution\s*\n([\s\S]*?)(?:\n\s*\d+ requests in|\n\s*$)/.exec(out);
  if (dist) {
    for (const line of dist[1].split('\n')) {
      const m = /^\s*([0-9.]+)%\s+(\S+)\s*$/.exec(line);
      if (m) pct[m[1].replace(/\.0+$/, '')] = parseDurationMs(m[2]);
    }
  }
  const total = /^\s*(\d+) requests in ([0-9.]+\w+),/m.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const avg = /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(out);
  const errors = {
    connect: sock ? Number(sock[1]) : 0,
    read: sock ? Number(sock[2]) : 0,
    write: sock ? Number(sock[3]) : 0,
    timeout: sock ? Number(sock[4]) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
  return {
    rps: Number(rps[1]) * SI[rps[2]],
    p50: pct['50'] ?? null,
    p75: pct['75'] ?? null,
    p90: pct['90'] ?? null,
    p99: pct['99'] ?? null,
    avg: avg ? parseDurationMs(avg[1]) : null,
    max: avg ? parseDurationMs(avg[3]) : null,
    requests: total ? Number(total[1]) : null,
    errors,
    errorCount: errors.connect + errors.read + errors.write + errors.timeout + errors.non2xx,
  };
}

/**
 * One wrk run: 1 thread (it owns one CPU at most), `connections` connections,
 * `durationS` seconds. Bounded: killed after duration + 20 s.
 */
export async function runWrk({ url, connections, durationS, cpu = 0, wrkBin = 'wrk', timeoutS = 10, headers = {} }) {
  // headers: { name: value } sent with every request (-H "name: value")
  const hdr = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const argv = [wrkBin, '-t', '1', '-c', String(connections), '-d', `${durationS}s`,
    '--timeout', `${timeoutS}s`, '--latency', ...hdr, url];
  const cpuBefore = readCpuTimes();
  const sampler = startCpuSampler();
  const r = await runBounded(argv, { timeoutMs: (durationS + 20) * 1000, cpu });
  const procCpu = sampler.stop();
  const cpuPct = cpuBusyPercent(cpuBefore, readCpuTimes());
  cpuPct.foreign = procCpu.foreignPct;
  cpuPct.foreignTop = procCpu.foreignTop;
  const parsed = r.code === 0 ? parseWrk(r.stdout) : null;
  if (!parsed) {
    return { ok: false, error: `wrk exit ${r.code}${r.timedOut ? ' (timed out)' : ''}: ${(r.stderr || r.stdout).trim().slice(0, 400)}`, cpu: cpuPct };
  }
  return { ok: true, ...parsed, cpu: cpuPct, raw: r.stdout };
}

/**
 * A measured run after `settleS` seconds of the same load that is not counted (see
 * test/bench/README.md, "Settle"): `run(durationS, { quiet })` is called for the settle, then for
 * the run itself. The result is the run's, with the settle's numbers under `settle` (its cold-start
 * tail); `settleS` 0 skips it (`settle: null`).
 */
export async function settledRun(run, settleS, durationS, { quiet = true } = {}) {
  if (!(settleS > 0)) return { ...(await run(durationS, { quiet })), settle: null };
  const s = await run(settleS, { quiet });
  const settle = s.ok ? { rps: s.rps, p50: s.p50, p99: s.p99 } : { error: s.error };
  if (!s.ok) return { ...s, settle };
  return { ...(await run(durationS, { quiet: false })), settle };
}

/** The cold-start tail of a cell: median settle p99 / median settle p50 over its runs (null without settles). */
export function settleP99OverP50(runs) {
  return ratioOfMedians(runs.map((r) => r.settle?.p99), runs.map((r) => r.settle?.p50));
}

/** The settle's numbers for a run's log line ('' when it had none). */
export function settleText(r) {
  return r.settle?.p99 ? `  (settle: ${Math.round(r.settle.rps).toLocaleString('en-US')} req/s, p99 ${r.settle.p99.toFixed(2)} ms)` : '';
}
