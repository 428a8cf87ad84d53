// Resident memory of benchmark processes, and the idle keep-alive clients that idle-connections.mjs
// and memory.mjs open (each connection asks once, then waits).
import fs from 'node:fs';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { sleep } from './net.mjs';

/** VmRSS of one process in KiB (0 once it is gone) */
export function processRssKiB(pid) {
  try { return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0); } catch { return 0; }
}

/** resident KiB of a process and its children (listen mirrors, workers) */
export function rssKiB(pid) {
  let kids = [];
  try { kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean); } catch { /* none */ }
  return { main: processRssKiB(pid), all: processRssKiB(pid) + kids.reduce((s, k) => s + processRssKiB(k), 0) };
}

/** Samples each pid's RSS every intervalMs until stop(); gives the peak per pid, in KiB. */
export function sampleRss(pids, intervalMs = 100) {
  const peak = new Map(pids.map((p) => [p, processRssKiB(p)]));
  const timer = setInterval(() => { for (const p of pids) peak.set(p, Math.max(peak.get(p), processRssKiB(p))); }, intervalMs);
  return { stop() { clearInterval(timer); for (const p of pids) peak.set(p, Math.max(peak.get(p), processRssKiB(p))); return peak; } };
}

/**
 * Opens `count` keep-alive connections to 127.0.0.1:port, each sending one GET and then waiting;
 * resolves once every one was answered or closed (bounded by 30 s).
 */
export async function openIdleConnections(port, count, path = '/') {
  const sockets = [];
  let answered = 0;
  let closed = 0;
  for (let i = 0; i < count; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => { closed++; });
    s.once('data', () => { answered++; });
    s.once('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
    sockets.push(s);
    if (i % 500 === 499) await sleep(50); // do not overrun the accept backlog
  }
  const deadline = Date.now() + 30_000;
  while (answered + closed < count && Date.now() < deadline) await sleep(100);
  return {
    get answered() { return answered; },
    open: () => sockets.filter((s) => !s.destroyed).length,
    destroy: () => { for (const s of sockets) s.destroy(); },
  };
}

export const mib = (kib) => Math.round((kib / 1024) * 10) / 10;
