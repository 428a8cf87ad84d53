// The source's run-time import graph has no cycles, between files or between the top-level
// folders (registrar/ depends on proto/ only, never on agent/). And no source file reaches 300 lines.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findCycles, importGraph, groupGraph } from './import-graph.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SOURCE_ROOTS = ['agent', 'proto', 'registrar'];

describe('source structure', () => {
  const files = importGraph(REPO, SOURCE_ROOTS);

  it('finds the source (sanity)', () => assert.ok(files.size > 100, String(files.size)));

  it('has no import cycle between files', () => assert.deepEqual(findCycles(files), []));

  it('has no import cycle between top-level folders', () => {
    assert.deepEqual(findCycles(groupGraph(files, (f) => f.split('/')[0]!)), []);
  });

  it('keeps every source file under 300 lines', () => {
    const long = [...files.keys()].map((f) => [f, fs.readFileSync(path.join(REPO, f), 'utf8').split('\n').length] as const).filter(([, n]) => n >= 300);
    assert.deepEqual(long, []);
  });
});

describe('findCycles', () => {
  const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));
  const CASES: readonly [string, Record<string, string[]>, number][] = [
    ['a chain', { a: ['b'], b: ['c'], c: [] }, 0],
    ['a diamond', { a: ['b', 'c'], b: ['d'], c: ['d'], d: [] }, 0],
    ['two files importing each other', { a: ['b'], b: ['a'] }, 1],
    ['a longer loop', { a: ['b'], b: ['c'], c: ['a'] }, 1],
    ['a self-import', { a: ['a'] }, 1],
  ];
  for (const [name, edges, n] of CASES) it(`${name}: ${n} cycle(s)`, () => assert.equal(findCycles(g(edges)).length, n));
});
