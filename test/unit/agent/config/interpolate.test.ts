import assert from 'node:assert/strict';
import type { ConfigIssue } from '../../../../agent/config/config-error.js';
import { interpolateEnv } from '../../../../agent/config/interpolate.js';

describe('interpolateEnv', () => {
  const env = { A: 'alpha', B: 'beta', EMPTY: '', DECK_TOKEN: 's3cr3t', DECK_PORT: '8443' };
  const ROWS: readonly [string, string][] = [
    ['plain', 'plain'],
    ['${A}', 'alpha'],
    ['x-${A}-y', 'x-alpha-y'],
    ['${A}${B}', 'alphabeta'],
    ['${MISSING:-dflt}', 'dflt'],
    ['${MISSING:-}', ''],
    ['${A:-dflt}', 'alpha'],
    ['${EMPTY:-dflt}', ''],
    ['${MISSING:-a:b}', 'a:b'],
    ['$A', '$A'],
    ['${1A}', '${1A}'],
    ['${A', '${A'],
    ['${{ env "DECK_TOKEN" }}', 's3cr3t'],
    ['${{env "DECK_TOKEN"}}', 's3cr3t'],
    ['Bearer ${{ env "DECK_TOKEN" }} and ${A}', 'Bearer s3cr3t and alpha'],
    ['${{ env DECK_TOKEN }}', '${{ env DECK_TOKEN }}'],
  ];
  for (const [input, want] of ROWS) {
    it(`"${input}" → "${want}"`, () => {
      const issues: ConfigIssue[] = [];
      assert.equal(interpolateEnv(input, env, issues), want);
      assert.deepEqual(issues, []);
    });
  }

  it('reports an unset variable with its path and replaces it with ""', () => {
    const issues: ConfigIssue[] = [];
    const out = interpolateEnv({ list: ['ok', { x: 'a${NOPE}b' }] }, env, issues);
    assert.deepEqual(out, { list: ['ok', { x: 'ab' }] });
    assert.deepEqual(issues, [{ path: 'list[1].x', message: 'environment variable NOPE is not set' }]);
  });

  it('reports each unset variable of one string', () => {
    const issues: ConfigIssue[] = [];
    interpolateEnv('${X}${Y}', {}, issues);
    assert.deepEqual(issues.map((i) => i.message), ['environment variable X is not set', 'environment variable Y is not set']);
  });

  it('leaves keys and non-string values alone', () => {
    const issues: ConfigIssue[] = [];
    const out = interpolateEnv({ '${A}': '${A}', n: 1, b: true, z: null }, env, issues);
    assert.deepEqual(out, { '${A}': 'alpha', n: 1, b: true, z: null });
  });

  it('types a value that is a single placeholder as YAML would (numbers, booleans), never as a structure', () => {
    const out = interpolateEnv({ port: '${P}', on: '${T}', s: 'x${P}', list: '${L}', neg: '${N}', lead: '${Z}' },
      { P: '6379', T: 'true', L: '[1, 2]', N: '-1.5', Z: '007' }, []);
    assert.deepEqual(out, { port: 6379, on: true, s: 'x6379', list: '[1, 2]', neg: -1.5, lead: '007' });
  });

  it('decK placeholders: typed like ${NAME}, unset is an error, only DECK_ variables are read', () => {
    const issues: ConfigIssue[] = [];
    const out = interpolateEnv({ port: '${{ env "DECK_PORT" }}', gone: '${{ env "DECK_GONE" }}', other: '${{ env "A" }}' }, env, issues);
    assert.deepEqual(out, { port: 8443, gone: '', other: '' });
    assert.deepEqual(issues, [
      { path: 'gone', message: 'environment variable DECK_GONE is not set' },
      { path: 'other', message: 'decK substitutes only environment variables prefixed DECK_; "A" is not' },
    ]);
  });

  it('does not interpolate what a variable expands to', () => {
    assert.equal(interpolateEnv('${A}', { A: '${B}', B: 'no' }, []), '${B}');
  });

  it('does not modify its input', () => {
    const input = { a: ['${A}'] };
    interpolateEnv(input, env, []);
    assert.deepEqual(input, { a: ['${A}'] });
  });
});
