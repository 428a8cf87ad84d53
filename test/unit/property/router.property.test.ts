// Property test (fast-check, bounded runs): the compiled router (agent/table/router.ts) against a
// small reference model of Kong's matching rules, written here from Kong's documentation: a route
// matches when every category it sets matches (a path prefix, at a segment boundary as meshgate
// documents; a method; a host, exact or "*.x" / "x.*"); among matches, more categories win, then
// routes whose hosts are all plain, then the longer prefix, then the earlier route.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { KongRoute } from '../../../proto/config-schema.js';
import { compileRouteEntries, matchRoute, ruleFor } from '../../../agent/table/router.js';

const PATHS = ['/', '/a', '/a/b', '/ab', '/b', '/a/b/c'];
const METHODS = ['GET', 'POST', 'PUT'];
const HOSTS = ['x.example', 'y.example', '*.example', 'x.*'];

const ROUTE: fc.Arbitrary<KongRoute> = fc.record({
  paths: fc.option(fc.uniqueArray(fc.constantFrom(...PATHS), { minLength: 1, maxLength: 2 }), { nil: undefined }),
  methods: fc.option(fc.uniqueArray(fc.constantFrom(...METHODS), { minLength: 1, maxLength: 2 }), { nil: undefined }),
  hosts: fc.option(fc.uniqueArray(fc.constantFrom(...HOSTS), { minLength: 1, maxLength: 2 }), { nil: undefined }),
}, { requiredKeys: [] }).filter((r) => r.paths !== undefined || r.methods !== undefined || r.hosts !== undefined) as fc.Arbitrary<KongRoute>;

const REQUEST = fc.record({
  method: fc.constantFrom(...METHODS),
  host: fc.constantFrom('x.example', 'y.example', 'z.example', 'x.other', 'other'),
  path: fc.constantFrom('/', '/a', '/a/', '/a/b', '/a/bc', '/ab', '/ab/c', '/b', '/a/b/c/d', '/c'),
});

function hostMatches(pattern: string, host: string): boolean {
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  if (pattern.endsWith('.*')) return host.startsWith(pattern.slice(0, -1));
  return pattern === host;
}
const prefixMatches = (prefix: string, path: string) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);

/** Kong's choice, by the documented rules; null when no route matches */
function reference(routes: readonly KongRoute[], req: { method: string; host: string; path: string }): number | null {
  let best: { index: number; score: number[] } | null = null;
  routes.forEach((r, index) => {
    if (r.methods && !r.methods.includes(req.method)) return;
    if (r.hosts && !r.hosts.some((h) => hostMatches(h, req.host))) return;
    const prefixes = r.paths ? r.paths.filter((p) => prefixMatches(p, req.path)) : [''];
    if (prefixes.length === 0) return;
    const categories = (r.paths ? 1 : 0) + (r.methods ? 1 : 0) + (r.hosts ? 1 : 0);
    const plain = r.hosts && r.hosts.every((h) => !h.includes('*')) ? 1 : 0;
    const longest = Math.max(...prefixes.map((p) => p.length));
    const score = [categories, plain, longest, -index];
    if (best === null || score.some((v, i) => v !== best!.score[i]) && compare(score, best.score) > 0) best = { index, score };
  });
  return best === null ? null : (best as { index: number }).index;
}
function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

describe('router vs a reference model of Kong\'s matching (properties)', () => {
  it('picks the route the model picks, or none when the model finds none', () => {
    fc.assert(fc.property(fc.array(ROUTE, { minLength: 1, maxLength: 6 }), REQUEST, (routes, req) => {
      const named = routes.map((route, i) => ({ route: { ...route, name: `r${i}` }, rule: ruleFor({ ...route, name: `r${i}` }, 's', i) }));
      const got = matchRoute(compileRouteEntries(named), req.method, req.host, req.path);
      const want = reference(routes, req);
      assert.equal(got === undefined ? null : Number(got.rule.name.slice(1)), want, JSON.stringify({ routes, req }));
    }), { numRuns: 400 });
  });
});
