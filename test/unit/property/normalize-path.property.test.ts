// Property tests (fast-check, bounded runs) of the canonical path (agent/table/normalize-path.ts):
// idempotent, always canonical, equal to a reference (RFC 3986 §5.2.4's remove_dot_segments, written
// as the RFC states it, after the slashes are merged), and the string routing sees is the string
// forwarded. (Node 20's WHATWG URL is no reference: it leaves "/b/.b/." as it is.)
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compilePathNormalizer, normalizePath, type PathPolicy } from '../../../agent/table/normalize-path.js';
import { upstreamPath } from '../../../agent/table/router.js';

const RUNS = 300;
/** the pieces attacks are made of */
const PIECE = fc.constantFrom('/', '/', '/', 'a', 'b', '.', '..', '%2e', '%2E', '%2f', '%5C', ';', ';x', '%3B', '%41', '%7e', '%25', '%C3%A9', '%C0%AE', '%E2%82', '%zz', '%', '\\', '~', '-', '_');
const PATH = fc.array(PIECE, { maxLength: 14 }).map((parts) => `/${parts.join('')}`);
const POLICY: fc.Arbitrary<PathPolicy> = fc.record({
  mergeSlashes: fc.boolean(), escapedSlashes: fc.constantFrom('reject', 'keep', 'unescape'), rejectSemicolons: fc.boolean(),
});

/** RFC 3986 §5.2.4, step by step: the input buffer's rules A–E */
function removeDotSegments(input: string): string {
  let out = '';
  while (input !== '') {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../') || input === '/..') {
      input = input === '/..' ? '/' : input.slice(3);
      out = out.slice(0, Math.max(0, out.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', input.startsWith('/') ? 1 : 0);
      out += next < 0 ? input : input.slice(0, next);
      input = next < 0 ? '' : input.slice(next);
    }
  }
  return out;
}

describe('normalizePath (properties)', () => {
  it('is idempotent under every policy', () => {
    fc.assert(fc.property(POLICY, PATH, (policy, path) => {
      const normalize = compilePathNormalizer(policy);
      const once = normalize(path);
      return once === null || normalize(once) === once;
    }), { numRuns: RUNS });
  });

  it('returns a canonical path: no dot segment, no "//" (when merged), no lower-case or unreserved escape, no "\\"', () => {
    fc.assert(fc.property(PATH, (path) => {
      const out = normalizePath(path);
      if (out === null) return true;
      const segments = out.split('/').slice(1);
      assert.ok(out.startsWith('/'), out);
      assert.ok(!segments.some((s) => s === '.' || s === '..' || /^\.\.?;/.test(s)), out);
      assert.ok(!out.slice(0, -1).includes('//') && out !== '//', out);
      assert.ok(!/%[0-9a-f][a-f]|%[a-f][0-9a-f]/.test(out), `lower-case escape in ${out}`);
      assert.ok(!/%(?:4[1-9A-F]|5[0-9A]|6[1-9A-F]|7[0-9A]|3[0-9]|2D|2E|5F|7E)/.test(out), `an unreserved escape left in ${out}`);
      assert.ok(!out.includes('\\') && !/%2F|%5C/.test(out), out);
      return true;
    }), { numRuns: RUNS });
  });

  it('agrees with RFC 3986 remove_dot_segments once "//" is merged (paths of letters, dots and slashes)', () => {
    const SIMPLE = fc.array(fc.constantFrom('/', 'a', 'b', '.', '..', '%2e'), { maxLength: 12 }).map((p) => `/${p.join('')}`);
    fc.assert(fc.property(SIMPLE, (path) => {
      const merged = path.replace(/%2e/g, '.').replace(/\/{2,}/g, '/');
      assert.equal(normalizePath(path), removeDotSegments(merged), path);
    }), { numRuns: RUNS });
  });

  it('the path a route forwards (strip_path false, service path "/") is the one it was matched on', () => {
    fc.assert(fc.property(PATH, (path) => {
      const out = normalizePath(path);
      return out === null || upstreamPath('/', '/', out, false) === out;
    }), { numRuns: RUNS });
  });
});
