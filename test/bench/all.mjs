#!/usr/bin/env node
// `npm run bench`: the three benchmarks behind the README's table, one after the other in one run
// (run.mjs per core, workers.mjs, memory.mjs), then the table rendered from their JSON results
// and written between the README's bench:table markers. See test/bench/README.md.
//   node test/bench/all.mjs [--quick] [--no-readme] [--readme FILE] [--parts run,workers,memory] [--rounds N]
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { renderBenchTable, replaceBenchTable } from './lib/readme-table.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const PARTS = ['run', 'workers', 'memory'];

const { values } = parseArgs({
  strict: true,
  options: {
    quick: { type: 'boolean' }, 'no-readme': { type: 'boolean' }, readme: { type: 'string' },
    parts: { type: 'string' }, rounds: { type: 'string' },
  },
});
const quick = !!values.quick;
const parts = (values.parts ?? PARTS.join(',')).split(',').map((s) => s.trim());
for (const p of parts) if (!PARTS.includes(p)) throw new Error(`--parts: unknown part "${p}" (known: ${PARTS.join(', ')})`);
const readme = path.resolve(values.readme ?? path.join(ROOT, 'README.md'));
const rounds = values.rounds ? ['--rounds', values.rounds] : [];

// a smoke run's results never replace a full run's files
const out = Object.fromEntries(PARTS.map((p) => [p, path.join(HERE, 'results', `${quick ? 'quick-' : ''}${{ run: 'latest', workers: 'workers', memory: 'memory' }[p]}.json`)]));
const argsOf = {
  run: [...(quick ? ['--quick'] : []), ...rounds, '--out', out.run],
  workers: [...(quick ? ['--quick'] : []), ...rounds, '--out', out.workers],
  memory: [...(quick ? ['--duration', '3', '--idle', '1000', '--body-mib', '64'] : []), '--out', out.memory],
};

function git(...args) {
  try { return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return null; }
}

function cpuModel() {
  try { return /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? os.cpus()[0]?.model; } catch { return os.cpus()[0]?.model ?? 'unknown CPU'; }
}

let child = null;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { child?.kill(sig); process.exitCode = 130; });

function runPart(part) {
  return new Promise((resolve) => {
    const script = path.join(HERE, `${part === 'run' ? 'run' : part}.mjs`);
    process.stdout.write(`\n=== bench ${part}: node ${path.relative(ROOT, script)} ${argsOf[part].map((a) => (a.startsWith('/') ? path.relative(ROOT, a) : a)).join(' ')}\n`);
    child = spawn(process.execPath, [script, ...argsOf[part]], { cwd: ROOT, stdio: 'inherit' });
    child.on('exit', (code, signal) => { child = null; resolve(code === 0 ? null : `exit ${code ?? signal}`); });
  });
}

/** The part's JSON, when this run wrote it (an older file from an earlier run is not this run's). */
function resultOf(part, since) {
  try {
    if (fs.statSync(out[part]).mtimeMs < since) return { error: `${path.relative(ROOT, out[part])} was not written` };
    return { json: JSON.parse(fs.readFileSync(out[part], 'utf8')) };
  } catch (err) {
    return { error: err.code === 'ENOENT' ? `${path.relative(ROOT, out[part])} was not written` : err.message };
  }
}

const started = Date.now();
const dirty = git('status', '--porcelain', '--untracked-files=no');
const meta = {
  date: new Date(started).toISOString(),
  commit: `${git('rev-parse', '--short', 'HEAD') ?? 'unknown'}${dirty ? ' + uncommitted changes' : ''}`,
  nproc: os.availableParallelism(), cpuModel: cpuModel(), loadavg: os.loadavg(), quick,
  files: Object.fromEntries(parts.map((p) => [p, path.relative(ROOT, out[p])])),
  failed: {},
};
process.stdout.write(`meshgate bench: ${parts.join(', ')}; ${meta.date}; ${meta.nproc} cores (${meta.cpuModel}); load average ${meta.loadavg.map((x) => x.toFixed(2)).join(' ')}; ${meta.commit}\n`);

const results = { run: null, workers: null, memory: null };
const labels = { run: 'per core (run.mjs)', workers: 'workers (workers.mjs)', memory: 'memory (memory.mjs)' };
for (const part of parts) {
  if (process.exitCode) break;
  const fault = await runPart(part);
  const r = resultOf(part, started);
  if (r.json) results[part] = r.json;
  else meta.failed[labels[part]] = fault ?? r.error;
}
for (const part of PARTS.filter((p) => !parts.includes(p))) meta.failed[labels[part]] = 'not selected (--parts)';

const block = renderBenchTable({ meta, ...results });
process.stdout.write(`\n${block}\n`);
if (values['no-readme'] || process.exitCode) {
  process.stdout.write(`\nREADME not written (${process.exitCode ? 'interrupted' : '--no-readme'})\n`);
} else {
  fs.writeFileSync(readme, replaceBenchTable(fs.readFileSync(readme, 'utf8'), block));
  process.stdout.write(`\nwrote the table into ${path.relative(ROOT, readme) || readme}\n`);
}
process.exitCode ||= Object.keys(meta.failed).some((k) => !meta.failed[k].startsWith('not selected')) ? 1 : 0;
