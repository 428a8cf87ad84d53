// CPU accounting: per-CPU busy % from /proc/stat, and how much CPU processes that
// this benchmark did NOT start used meanwhile (a noisy neighbour makes numbers unreliable).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { ownGroupIds } from './proc.mjs';

let clkTck = null;
function ticksPerSecond() {
  if (clkTck === null) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    clkTck = Number(r.stdout?.trim()) || 100;
  }
  return clkTck;
}

/** Aggregate CPU jiffies per cpu from /proc/stat: { cpu0: {busy, total}, ... }. */
export function readCpuTimes() {
  const out = {};
  let text;
  try { text = fs.readFileSync('/proc/stat', 'utf8'); } catch { return out; }
  for (const line of text.split('\n')) {
    const m = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest* are already in user/nice)
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    out[m[1]] = { busy: total - idle, total };
  }
  return out;
}

export function cpuBusyPercent(before, after) {
  const res = {};
  for (const k of Object.keys(after)) {
    if (!before[k]) continue;
    const dt = after[k].total - before[k].total;
    res[k] = dt > 0 ? (100 * (after[k].busy - before[k].busy)) / dt : null;
  }
  return res;
}

/** pid -> { pgrp, ticks, comm } for every process in /proc. */
function readProcs() {
  const out = new Map();
  let names;
  try { names = fs.readdirSync('/proc'); } catch { return out; }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try { stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; }
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // f[0]=state f[1]=ppid f[2]=pgrp ... f[11]=utime f[12]=stime
    out.set(Number(name), { pgrp: Number(f[2]), ticks: Number(f[11]) + Number(f[12]), comm });
  }
  return out;
}

/**
 * Samples /proc every `intervalMs` and splits process CPU time into "ours" (any
 * process group this benchmark started, or this process) and "foreign".
 * stop() -> { foreignPct, ownPct, foreignTop: "comm 12%, ..." } (100 % = one core).
 */
export function startCpuSampler(intervalMs = 500) {
  const t0 = process.hrtime.bigint();
  let prev = readProcs();
  let foreign = 0;
  let own = 0;
  const byComm = new Map();
  const sample = () => {
    const cur = readProcs();
    const ours = ownGroupIds();
    for (const [pid, p] of cur) {
      const before = prev.get(pid);
      const delta = p.ticks - (before && before.pgrp === p.pgrp ? before.ticks : 0);
      if (delta <= 0) continue;
      if (ours.has(p.pgrp) || ours.has(pid)) own += delta;
      else { foreign += delta; byComm.set(p.comm, (byComm.get(p.comm) ?? 0) + delta); }
    }
    prev = cur;
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const pct = (ticks) => (secs > 0 ? (100 * ticks) / ticksPerSecond() / secs : null);
      const foreignTop = [...byComm.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3)
        .filter(([, t]) => pct(t) >= 1).map(([c, t]) => `${c} ${Math.round(pct(t))}%`).join(', ');
      return { foreignPct: pct(foreign), ownPct: pct(own), foreignTop };
    },
  };
}

/** Foreign CPU % (one core = 100) over `ms`. */
export async function foreignLoad(ms = 1000) {
  const s = startCpuSampler(Math.min(500, ms));
  await new Promise((r) => setTimeout(r, ms));
  return s.stop();
}
