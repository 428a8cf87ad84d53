// `npm run test:chaos`: builds the multi-host topology, runs every fault scenario under a load loop
// through the edge, writes test/chaos/results/latest.json and prints a table. Exits 1 when a goal
// is missed: an idempotent request failed, or registrations took > 10 s after lost Consul state,
// or (every local instance dead at once) requests were affected for more than 10 s before the
// failover datacenter served.
// Everything it made is removed on exit, on Ctrl-C and on failure (Topology.cleanupNow).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Topology } from '../multihost/topology.js';
import { p99, startLoad, type Sample } from './load-loop.js';
import { SCENARIOS } from './scenarios.js';

const RESULTS = path.join(fileURLToPath(new URL('../../../', import.meta.url)), 'test/chaos/results/latest.json');
const LOST_STATE_GOAL_S = 10;
/** every dc1 instance dead at once: requests fail until Consul (or passive health) says so and dc2 serves */
const FAILOVER_GOAL_S = 10;

interface Row { scenario: string; requests: number; failed: number; failed_idempotent: number; failed_post: number; p99_ms: number; recovered_s: number | null; notes: string[]; goal_met: boolean }

const only = process.argv.slice(2);
const topo = new Topology();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => { topo.cleanupNow(); process.exit(130); });
const log = (l: string) => process.stdout.write(`chaos: ${l}\n`);
const rows: Row[] = [];
let exitCode = 0;
try {
  await topo.start(log);
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (only.length > 0 && !only.includes(name)) continue;
    log(`${name}: start`);
    const load = startLoad(topo.edgeUrl);
    let stopped: Promise<Sample[]> | undefined;
    const finish = await scenario(topo).finally(() => stopped = load.stop());
    const samples = await stopped!;
    const { recoveredS, notes } = finish(samples);
    const failed = samples.filter((s) => !s.ok);
    const failedGet = failed.filter((s) => s.method === 'GET');
    const goalMet = name === 'datacenter-failover'
      ? (recoveredS ?? Infinity) <= FAILOVER_GOAL_S
      : failedGet.length === 0 && (name !== 'consul-agent-lost-state' || (recoveredS ?? Infinity) <= LOST_STATE_GOAL_S);
    const errors = [...new Set(failed.map((f) => f.error))].slice(0, 3);
    rows.push({ scenario: name, requests: samples.length, failed: failed.length, failed_idempotent: failedGet.length, failed_post: failed.length - failedGet.length,
      p99_ms: p99(samples), recovered_s: recoveredS === null ? null : Math.round(recoveredS * 10) / 10, notes: [...notes, ...errors.map((e) => `error: ${e}`)], goal_met: goalMet });
    log(`${name}: ${samples.length} requests, ${failed.length} failed (${failedGet.length} idempotent)${errors.length ? `; e.g. ${errors.join(' | ')}` : ''}`);
  }
} catch (err) {
  process.stderr.write(`chaos: ${(err as Error).stack}\n`);
  exitCode = 1;
} finally {
  await topo.stop().catch(() => topo.cleanupNow());
}
mkdirSync(path.dirname(RESULTS), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
const header = '| scenario | requests | failed | failed idempotent | failed POST | p99 ms | recovered s | goal met |';
process.stdout.write(`\n${header}\n|---|---:|---:|---:|---:|---:|---:|---|\n`);
for (const r of rows) process.stdout.write(`| ${r.scenario} | ${r.requests} | ${r.failed} | ${r.failed_idempotent} | ${r.failed_post} | ${r.p99_ms} | ${r.recovered_s ?? '–'} | ${r.goal_met ? 'yes' : 'NO'} |\n`);
if (rows.some((r) => !r.goal_met) || rows.length < (only.length || Object.keys(SCENARIOS).length)) exitCode = 1;
process.stdout.write(`\nresults: ${RESULTS}\n`);
process.exit(exitCode);
