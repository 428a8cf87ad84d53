// The README's benchmark table (test/bench/lib/readme-table.mjs), rendered from a fixture of the three
// benchmarks' JSON results (test/fixtures/bench/bench-results.json) with hand-picked req/s, so every
// ratio below is known: edge 15,500 / forwarder 14,000 = 1.11 at 50 connections, paired over the
// rounds (15,000 / 12,000, 16,000 / 16,000) 1.13; 14,200 / 15,000 = 0.95 at 200.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const fixture = () => JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/bench/bench-results.json'), 'utf8'));

interface TableModule {
  TABLE_START: string;
  TABLE_END: string;
  renderBenchTable(parts: Record<string, unknown>): string;
  replaceBenchTable(text: string, block: string): string;
}

describe('README benchmark table', () => {
  let m: TableModule;
  before(async () => {
    const url = pathToFileURL(path.join(REPO, 'test/bench/lib/readme-table.mjs')).href;
    m = (await import(url)) as TableModule;
  });

  const line = (table: string, start: string) => {
    const found = table.split('\n').find((l) => l.startsWith(start));
    assert.ok(found, `a line starting with ${start}`);
    return found;
  };

  it('is one block between the markers, with date, commit, machine and result files', () => {
    const t = m.renderBenchTable(fixture());
    assert.ok(t.startsWith(m.TABLE_START) && t.endsWith(m.TABLE_END));
    assert.match(t, /Measured 2026-12-07 22:15 UTC on commit `abc1234`; 2 cores \(AMD EPYC 7B13\), load average at start 0\.12 \/ 0\.30 \/ 0\.25; /);
    assert.match(t, /results `test\/bench\/results\/latest\.json`, `test\/bench\/results\/workers\.json`, `test\/bench\/results\/memory\.json`\./);
    assert.doesNotMatch(t, /smoke run/);
  });

  it('gives per-core req/s and meshgate ÷ each contestant (ratio of medians, paired), with p99/p50 and the cold start', () => {
    const t = m.renderBenchTable(fixture());
    assert.equal(line(t, '| **meshgate edge** |'), '| **meshgate edge** | 1 | 15,500 | 14,200 | — | — | 2.00 | 2.50 | 3.00 | 4.10 |  |');
    assert.equal(line(t, '| minimal undici forwarder |'), '| minimal undici forwarder | 1 | 14,000 | 15,000 | 1.11 (paired 1.13) | 0.95 (paired 0.95) | 2.00 | 2.00 | 3.00 | 3.00 |  |');
    assert.equal(line(t, '| fastify-http-proxy |'), '| fastify-http-proxy | 1 | 7,500 | 6,000 | 2.07 (paired 2.07) | 2.37 (paired 2.37) | 2.00 | 2.00 | 3.00 | 3.00 |  |');
    assert.match(line(t, '| nginx |'), /\| 0\.30 \(paired 0\.30\) \| 0\.28 \(paired 0\.28\) \|.*\| CPU0 \(wrk\+upstream\) saturated \|$/);
    assert.match(line(t, '| HAProxy |'), /\| 0\.38 \(paired 0\.38\) \| 0\.35 \(paired 0\.35\) \|.*\| @200: noisy: other processes 130% CPU \|$/);
    // two hops: compared with meshgate edge -> sidecar; no paired runs in the fixture
    assert.match(line(t, '| forwarder -> forwarder |'), /^\| forwarder -> forwarder \| 2 \| 6,500 \| 6,500 \| 1\.08 \| 0\.92 \|/);
    assert.match(t, /Not measured: nginx-2hop \(nginx not found \(run deploy\/setup\/install-bench-tools\.sh\)\)\./);
  });

  it('gives the shared-core ratio per connection count with the rounds\' spread', () => {
    assert.match(m.renderBenchTable(fixture()), /edge ÷ forwarder at 50 connections \*\*1\.04\*\* \(rounds 1\.02–1\.06\), 200 connections \*\*0\.99\*\* \(rounds 0\.98–1\.00\)\./);
  });

  it('judges the goals of issue 17', () => {
    const t = m.renderBenchTable(fixture());
    assert.equal(line(t, '| edge ≥ 1.0× the minimal undici forwarder'), '| edge ≥ 1.0× the minimal undici forwarder (ratio of medians) | 1.11 @50 · 0.95 @200 | **no** |');
    assert.equal(line(t, '| edge ≥ 2× every Node gateway'), '| edge ≥ 2× every Node gateway: fastify-http-proxy | 2.07 @50 · 2.37 @200 | yes |');
    assert.equal(line(t, '| edge p99 ≤ 3× p50'), '| edge p99 ≤ 3× p50 at 200 connections | 2.50 | yes |');
    assert.equal(line(t, '| the same in the first seconds'), '| the same in the first seconds after an idle spell (settle runs) | 4.10 | **no** |');
    assert.equal(line(t, '| moonshot'), '| moonshot: edge ≥ 0.5× nginx per core | 0.30 @50 · 0.28 @200 | **no** |');
  });

  it('gives the workers rows: scaling N / 1 and meshgate ÷ nginx on the same cores', () => {
    const t = m.renderBenchTable(fixture());
    assert.equal(line(t, '| meshgate edge, `--workers N`'), '| meshgate edge, `--workers N` | 8,000 | 11,400 | **1.42** |');
    assert.equal(line(t, '| nginx, `worker_processes N`'), '| nginx, `worker_processes N` | 40,000 | 38,000 | 0.95 |');
    assert.equal(line(t, '| meshgate ÷ nginx'), '| meshgate ÷ nginx (paired) | 0.20 | 0.30 | — |');
  });

  it('gives the memory rows against their goals', () => {
    const t = m.renderBenchTable(fixture());
    assert.equal(line(t, '| RSS of each worker'), '| RSS of each worker at full load, `--workers 2` (671 req/s) | 154.4 MB · 150.1 MB (primary 130.5 MB) | ≤ 100 MB | **no** |');
    assert.equal(line(t, '| 10,000 idle'), '| 10,000 idle keep-alive clients, RSS added | 55.5 MB (5.42 KiB each) | ≤ 150 MB | yes |');
    assert.match(line(t, '| a 1,024 MiB request body'), /edge 7\.3 MB · sidecar 10\.8 MB \(95 MiB\/s\) \| ≤ 64 MB each \| yes \|$/);
  });

  it('says which part was not measured and why, and marks a --quick run', () => {
    const f = fixture();
    f.meta.quick = true;
    f.meta.failed = { 'workers (workers.mjs)': 'exit 1' };
    const t = m.renderBenchTable({ ...f, workers: null });
    assert.match(t, /a `--quick` smoke run: 1 short round, not numbers to quote/);
    assert.match(t, /workers \(workers\.mjs\): not measured in this run \(exit 1\)\./);
    assert.doesNotMatch(t, /--workers N/);
    assert.match(t, /\| RSS of each worker/);
  });

  it('replaces only what is between the markers, and refuses a text without them', () => {
    const block = m.renderBenchTable(fixture());
    const text = `# before\n${m.TABLE_START}\nold numbers\n${m.TABLE_END}\nafter\n`;
    assert.equal(m.replaceBenchTable(text, block), `# before\n${block}\nafter\n`);
    assert.throws(() => m.replaceBenchTable('# no markers\n', block), /README has no <!-- bench:table:start -->/);
  });

  it('finds its markers in the README', () => {
    const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
    assert.equal(readme.split(m.TABLE_START).length, 2);
    assert.ok(readme.indexOf(m.TABLE_END) > readme.indexOf(m.TABLE_START));
  });
});
