import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MeshgateConfig } from '../../../proto/config-schema.js';
import { schemaLeafPaths } from '../../../proto/schema-leaves.js';
import { FIELD_TESTS, NOT_YET_MAPPED, OWNED_ELSEWHERE } from './field-coverage.js';
import { renderKongFieldTable, TABLE_END, TABLE_START } from './field-coverage-table.js';

// dist/test/unit/proto → the TypeScript sources in test/
const TEST_SOURCES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../test');

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourcesUnder(full);
    // titles are compared as the strings they are, so a quote escaped in the source is unescaped
    return /\.(ts|mjs)$/.test(e.name) ? [readFileSync(full, 'utf8').replace(/\\'/g, "'")] : [];
  });
}

/** the KongPlugin shape is the same in every scope: one entry covers it everywhere */
const normalized = (p: string): string => p.replace(/^.*plugins\[\]\./, 'plugins[].');

describe('config field coverage (every schema field has a behaviour or refusal test, or is listed as not yet)', () => {
  const leaves = [...new Set(schemaLeafPaths(MeshgateConfig).map(normalized))];
  const lists: Record<string, readonly string[]> = {
    FIELD_TESTS: Object.keys(FIELD_TESTS), OWNED_ELSEWHERE: Object.keys(OWNED_ELSEWHERE), NOT_YET_MAPPED,
  };

  it('lists every schema field in exactly one of FIELD_TESTS, OWNED_ELSEWHERE, NOT_YET_MAPPED', () => {
    const unlisted = leaves.filter((p) => Object.values(lists).every((l) => !l.includes(p)));
    assert.deepEqual(unlisted, [], 'schema fields with neither a test nor an entry: add a behaviour or refusal test');
    const twice = leaves.filter((p) => Object.values(lists).filter((l) => l.includes(p)).length > 1);
    assert.deepEqual(twice, []);
  });

  it('lists no field the schema does not have', () => {
    const stale = Object.entries(lists).flatMap(([name, l]) => l.filter((p) => !leaves.includes(p)).map((p) => `${name}: ${p}`));
    assert.deepEqual(stale, []);
  });

  it('names only tests that exist under test/', () => {
    const sources = sourcesUnder(TEST_SOURCES).filter((s) => !s.includes('export const FIELD_TESTS'));
    const missing = Object.entries(FIELD_TESTS).filter(([, title]) => !sources.some((s) => s.includes(title)));
    assert.deepEqual(missing, []);
  });

  it('the README\'s per-field Kong table is the one rendered from these lists', () => {
    const readme = readFileSync(path.join(TEST_SOURCES, '..', 'README.md'), 'utf8');
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    assert.ok(start >= 0 && end > start, 'README has no generated Kong field table');
    const want = renderKongFieldTable(leaves);
    assert.equal(readme.slice(start, end + TABLE_END.length), want, 'README table out of date; replace it with the rendered one');
  });

  it('walks the schema down to its leaves (a sample of known paths)', () => {
    for (const p of ['consul.token', 'edge.kong.services[].routes[].headers', 'edge.kong.upstreams[].healthchecks.active.unhealthy.timeouts', 'plugins[].protocols', 'mesh.tls.cert']) {
      assert.ok(leaves.includes(p), p);
    }
  });
});
