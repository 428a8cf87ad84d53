import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const startupHeap = new URL('../../../agent/startup-heap.js', import.meta.url).href;

/**
 * In a child process with V8's natives syntax: fills the root map's transitions with dead ones
 * (3,000 short-lived objects, each with a first property of its own, as a schema compiler makes),
 * then asks whether two objects given the same new first property share a map, before and after
 * `settle` runs. Prints `{ before, after }`.
 */
function sameMapAround(settle: string): { before: boolean; after: boolean } {
  const script = `
    const same = new Function('name', 'const a = {}; a[name] = 1; const b = {}; b[name] = 1; return %HaveSameMap(a, b);');
    let junk = [];
    for (let i = 0; i < 3000; i++) { const o = {}; o['compiled' + i] = i; junk.push(o); }
    junk = null;
    const before = same('fresh_before');
    const { settleHeap } = await import(${JSON.stringify(startupHeap)});
    const log = { warn: (m) => { throw new Error(String(m)); }, debug() {} };
    ${settle}
    process.stdout.write(JSON.stringify({ before, after: same('fresh_after') }));
  `;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as { before: boolean; after: boolean };
}

describe('startup-heap: one full collection after the config is compiled', () => {
  it('frees the root map\'s transitions, so objects with the same first property share a map again', function () {
    this.timeout(20_000);
    const settled = sameMapAround('settleHeap(log);');
    assert.equal(settled.before, false, 'precondition: with the transitions full of dead ones, each object gets a map of its own');
    assert.equal(settled.after, true, 'after settleHeap, objects of one shape share their map');
  });

  it('without it the table stays full (what the collection is for)', function () {
    this.timeout(20_000);
    assert.deepEqual(sameMapAround(''), { before: false, after: false });
  });
});
