// The README's benchmark table, rendered from one `npm run bench` run (test/bench/all.mjs): the
// per-core rows of run.mjs, the workers rows of workers.mjs and the memory rows of memory.mjs.
// Pure: JSON in, markdown out; test/unit/bench/readme-table.test.ts renders a fixture.
import { median, pairedRatio } from './stats.mjs';

export const TABLE_START = '<!-- bench:table:start -->';
export const TABLE_END = '<!-- bench:table:end -->';

const num = (x) => typeof x === 'number' && Number.isFinite(x);
const fmt = (x, d = 2) => (num(x) ? x.toFixed(d) : 'n/a');
const fmtInt = (x) => (num(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const met = (ok) => (ok === null ? 'n/a' : ok ? 'yes' : '**no**');
const allAtLeast = (xs, min) => (xs.length && xs.every(num) ? xs.every((x) => x >= min) : null);
const spread = (xs) => (xs.length > 1 ? ` (rounds ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})` : '');
const utc = (iso) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** The meshgate contestant a row is compared with: the edge for one hop, edge -> sidecar for two. */
const MESHGATE = { 1: 'edge', 2: 'edge-2hop' };

function rowOf(run, key, connections) {
  return run.table.find((r) => r.key === key && r.connections === connections) ?? null;
}

/** meshgate's req/s over `key`'s: the ratio of medians and the paired (same-round) median. */
function meshgateOver(run, key, hops, connections) {
  const mine = rowOf(run, MESHGATE[hops], connections);
  const theirs = rowOf(run, key, connections);
  if (!mine?.rps || !theirs?.rps) return null;
  const runs = run.raw.filter((r) => !r.noisy);
  return { ratio: mine.rps / theirs.rps, paired: pairedRatio(runs, MESHGATE[hops], key, (r) => r.connections === connections).median };
}

const ratioText = (r) => (r ? `${fmt(r.ratio)}${num(r.paired) ? ` (paired ${fmt(r.paired)})` : ''}` : 'n/a');

/** run.mjs's flags per connection count, once when every count has the same, else each after its count. */
function notesOf(conns, rows) {
  const short = (f) => f.replace(/^NOISY: in every run other processes used >= \d+% CPU \(median (\d+)%\)$/, 'noisy: other processes $1% CPU');
  const per = rows.map((r) => (r?.flags ?? []).map(short).join('; '));
  if (per.every((n) => n === per[0])) return per[0];
  return per.map((n, i) => (n ? `@${conns[i]}: ${n}` : null)).filter(Boolean).join('; ');
}

function perCoreTable(run) {
  const conns = run.options.connections;
  const keys = [...new Set(run.table.map((r) => r.key))];
  const head = ['contestant', 'hops', ...conns.map((c) => `req/s @${c}`), ...conns.map((c) => `meshgate ÷ it @${c}`),
    ...conns.map((c) => `p99/p50 @${c}`), ...conns.map((c) => `cold start p99/p50 @${c}`), 'notes'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i < 2 || i === head.length - 1 ? '---' : '---:')).join('|')}|`];
  for (const key of keys) {
    const rows = conns.map((c) => rowOf(run, key, c));
    const first = rows.find(Boolean);
    const isMeshgate = MESHGATE[first.hops] === key;
    const notes = notesOf(conns, rows);
    lines.push(`| ${[
      isMeshgate ? `**${first.contestant}**` : first.contestant, first.hops,
      ...rows.map((r) => fmtInt(r?.rps)),
      ...conns.map((c) => (isMeshgate ? '—' : ratioText(meshgateOver(run, key, first.hops, c)))),
      ...rows.map((r) => fmt(r?.p99OverP50)),
      ...rows.map((r) => fmt(r?.settleP99OverP50)),
      notes,
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

function sharedCoreLine(run) {
  const byConns = run.options.connections.map((c) => {
    const ratios = (run.sharedCore ?? []).filter((r) => r.connections === c && num(r.ratio)).map((r) => r.ratio);
    return ratios.length ? `${c} connections **${fmt(median(ratios))}**${spread(ratios)}` : null;
  }).filter(Boolean);
  if (!byConns.length) return null;
  return `Shared core (the edge and the minimal forwarder loaded at the same time on CPU 1, each by its own wrk: the ratio of `
    + `their req/s is the ratio of their CPU cost per request, under the same machine conditions): edge ÷ forwarder at ${byConns.join(', ')}.`;
}

function goalsTable(run) {
  const conns = run.options.connections;
  const cMax = Math.max(...conns);
  const vs = (key) => conns.map((c) => meshgateOver(run, key, 1, c));
  const fwd = vs('forwarder');
  const fastify = vs('fastify');
  const nginx = vs('nginx');
  const edge = rowOf(run, 'edge', cMax);
  const atConns = (rs) => rs.map((r, i) => `${fmt(r?.ratio)} @${conns[i]}`).join(' · ');
  const ratios = (rs) => rs.map((r) => r?.ratio ?? null);
  const lines = ['| goal (issue 17) | measured | met |', '|---|---|---|'];
  lines.push(`| edge ≥ 1.0× the minimal undici forwarder (ratio of medians) | ${atConns(fwd)} | ${met(allAtLeast(ratios(fwd), 1))} |`);
  lines.push(`| edge ≥ 2× every Node gateway: fastify-http-proxy | ${atConns(fastify)} | ${met(allAtLeast(ratios(fastify), 2))} |`);
  lines.push(`| edge p99 ≤ 3× p50 at ${cMax} connections | ${fmt(edge?.p99OverP50)} | ${met(num(edge?.p99OverP50) ? edge.p99OverP50 <= 3 : null)} |`);
  lines.push(`| the same in the first seconds after an idle spell (settle runs) | ${fmt(edge?.settleP99OverP50)} | ${met(num(edge?.settleP99OverP50) ? edge.settleP99OverP50 <= 3 : null)} |`);
  lines.push(`| moonshot: edge ≥ 0.5× nginx per core | ${atConns(nginx)} | ${met(allAtLeast(ratios(nginx), 0.5))} |`);
  return lines.join('\n');
}

function workersTable(w) {
  const s = w.summary;
  const o = w.opts;
  const lines = [
    `\`workers.mjs\`: ${o.rounds} round(s) of ${o.duration} s after ${o.settle} s of settle load, ${o.connections} connections; every contestant, `
      + `wrk and the upstream share cores ${o.cores} (no core is left for the load, so the machine bounds the scaling, not only the proxy).`,
    '',
    '| workers (median req/s) | 1 | 2 | 2 ÷ 1 (paired) |',
    '|---|---:|---:|---:|',
    `| meshgate edge, \`--workers N\` | ${fmtInt(s.rps['meshgate-w1'])} | ${fmtInt(s.rps['meshgate-w2'])} | **${fmt(s.meshgateScaling)}** |`,
    `| nginx, \`worker_processes N\` | ${fmtInt(s.rps['nginx-w1'])} | ${fmtInt(s.rps['nginx-w2'])} | ${fmt(s.nginxScaling)} |`,
    `| meshgate ÷ nginx (paired) | ${fmt(s.w1VsNginxW1)} | ${fmt(s.w2VsNginxW2)} | — |`,
    `| route with local rate-limiting ÷ plain route (paired; with workers the primary counts) | ${fmt(s.limitedVsPlainW1)} | ${fmt(s.limitedVsPlainW2)} | — |`,
  ];
  return lines.join('\n');
}

function memoryTable(m) {
  const lines = [
    `\`memory.mjs\` (VmRSS sampled every 100 ms; MB = 10^6 bytes as in the goals; ${m.opts.connections} connections for the load rows):`,
    '',
    '| memory | measured | goal | met |',
    '|---|---|---|---|',
  ];
  const w = m.load.find((l) => l.workers > 1);
  const one = m.load.find((l) => l.workers === 1);
  if (w) {
    const peak = Math.max(...w.perWorker.map((x) => x.peakMB));
    lines.push(`| RSS of each worker at full load, \`--workers ${w.workers}\` (${fmtInt(w.rps)} req/s) | ${w.perWorker.map((x) => `${x.peakMB} MB`).join(' · ')} (primary ${w.primaryPeakMB} MB) | ≤ 100 MB | ${met(peak <= 100)} |`);
  }
  if (one) lines.push(`| RSS of a one-process edge at full load (${fmtInt(one.rps)} req/s) | ${one.perWorker[0].peakMB} MB | ≤ 100 MB | ${met(one.perWorker[0].peakMB <= 100)} |`);
  const idleGoal = Math.round((150 * m.idle.connections) / 10000);
  lines.push(`| ${fmtInt(m.idle.connections)} idle keep-alive clients, RSS added | ${m.idle.addedMB} MB (${m.idle.perConnectionKiB} KiB each) | ≤ ${idleGoal} MB${m.idle.connections === 10000 ? '' : ' (150 MB per 10,000)'} | ${met(m.idle.addedMB <= idleGoal)} |`);
  for (const s of m.stream) {
    lines.push(`| a ${fmtInt(s.bytes / 2 ** 20)} MiB ${s.what} through edge → sidecar (mTLS), RSS added | edge ${s.edge.addedMB} MB · sidecar ${s.sidecar.addedMB} MB (${s.mibPerSecond} MiB/s) | ≤ 64 MB each | ${met(s.edge.addedMB <= 64 && s.sidecar.addedMB <= 64)} |`);
  }
  return lines.join('\n');
}

function machineLine(meta) {
  const load = meta.loadavg.map((x) => x.toFixed(2)).join(' / ');
  return `Measured ${utc(meta.date)} on commit \`${meta.commit}\`${meta.quick ? ' — **a `--quick` smoke run: 1 short round, not numbers to quote**' : ''}; `
    + `${meta.nproc} cores (${meta.cpuModel}), load average at start ${load}; results `
    + `${Object.values(meta.files).map((f) => `\`${f}\``).join(', ')}.`;
}

/**
 * parts: { meta, run, workers, memory }; a part that did not run is null, and `meta.failed[part]`
 * says why. Returns the block between the markers, markers included.
 */
export function renderBenchTable({ meta, run, workers, memory }) {
  const failed = meta.failed ?? {};
  const missing = (part) => `${part}: not measured in this run${failed[part] ? ` (${failed[part]})` : ''}.`;
  const out = [TABLE_START, '<!-- generated by `npm run bench` (test/bench/all.mjs, test/bench/lib/readme-table.mjs): edit those, not this block -->', '', machineLine(meta), ''];
  if (run) {
    const o = run.options;
    out.push(`Per core (\`run.mjs\`: ${o.rounds} interleaved round(s) of ${o.durationS} s, each after ${o.settleS} s of the same load whose `
      + 'p99/p50 is the cold-start column; the proxy on CPU 1, `wrk -t1` and the upstream on CPU 0; median over rounds; '
      + '"meshgate ÷ it": the meshgate contestant with the same hop count over this one):', '');
    out.push(perCoreTable(run), '');
    const shared = sharedCoreLine(run);
    if (shared) out.push(shared, '');
    const skipped = Object.entries(run.skipped ?? {});
    if (skipped.length) out.push(`Not measured: ${skipped.map(([k, why]) => `${k} (${why.split('\n')[0]})`).join('; ')}.`, '');
    out.push(goalsTable(run), '');
  } else out.push(missing('per core (run.mjs)'), '');
  out.push(workers ? workersTable(workers) : missing('workers (workers.mjs)'), '');
  out.push(memory ? memoryTable(memory) : missing('memory (memory.mjs)'), '');
  out.push(TABLE_END);
  return out.join('\n');
}

/** `text` with the block between the markers (inclusive) replaced by `block`; throws if the markers are missing. */
export function replaceBenchTable(text, block) {
  const a = text.indexOf(TABLE_START);
  const b = text.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error(`README has no ${TABLE_START} … ${TABLE_END} block`);
  return text.slice(0, a) + block + text.slice(b + TABLE_END.length);
}
