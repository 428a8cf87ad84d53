import assert from 'node:assert/strict';
import { baseKey, keyMethod, keyRequest, newVarySpec, parseVary, queryComponent, variantKey, type KeyRequest } from '../../../../../agent/plugins/proxy-cache/key.js';
import { fakeContext } from '../support/fake-request.js';
import { settings } from './fixtures.js';

function req(over: Partial<KeyRequest> & { headers?: Record<string, string>; q?: string } = {}): KeyRequest {
  const headers = over.headers ?? {};
  return {
    route: 'r1', consumer: undefined, method: 'GET', host: 'api.example.com', path: '/items', upstreamPath: '/items',
    query: new URLSearchParams(over.q ?? ''), header: (h) => headers[h], ...over,
  };
}

describe('proxy-cache key composition', () => {
  const s = settings();
  const k = (over: Parameters<typeof req>[0] = {}, raw: Record<string, unknown> = {}) => baseKey(Object.keys(raw).length ? settings(raw) : s, req(over));

  it('is a sha256 hex digest, stable for the same request', () => {
    assert.match(k(), /^[0-9a-f]{64}$/);
    assert.equal(k(), k());
  });

  const differing: [string, Parameters<typeof req>[0]][] = [
    ['route', { route: 'r2' }],
    ['consumer', { consumer: 'c-1' }],
    ['method (POST)', { method: 'POST' }],
    ['host', { host: 'other.example.com' }],
    ['path', { path: '/other', upstreamPath: '/other' }],
    ['upstream path (a transformer rewrote it)', { upstreamPath: '/v2/items' }],
    ['query value', { q: 'page=2' }],
    ['query parameter present vs absent', { q: 'page=' }],
  ];
  for (const [what, over] of differing) {
    it(`changes with the ${what}`, () => assert.notEqual(k(over), k()));
  }

  it('HEAD and GET share a key; other methods do not', () => {
    assert.equal(keyMethod('HEAD'), 'GET');
    assert.equal(k({ method: 'HEAD' }), k());
    assert.notEqual(k({ method: 'PUT' }), k());
  });

  it('ignores query order and the order of repeated values (Kong sorts them)', () => {
    assert.equal(k({ q: 'a=1&b=2' }), k({ q: 'b=2&a=1' }));
    assert.equal(k({ q: 'a=2&a=1' }), k({ q: 'a=1&a=2' }));
    assert.deepEqual(queryComponent(new URLSearchParams('b=2&a=y&a=x'), null), [['a', ['x', 'y']], ['b', ['2']]]);
  });

  it('vary_query_params keeps only the listed parameters', () => {
    const raw = { vary_query_params: ['page'] };
    assert.equal(k({ q: 'page=1&utm=x' }, raw), k({ q: 'page=1&utm=y' }, raw));
    assert.notEqual(k({ q: 'page=1' }, raw), k({ q: 'page=2' }, raw));
    // an empty list means every parameter, as in Kong
    assert.notEqual(k({ q: 'utm=x' }, { vary_query_params: [] }), k({ q: 'utm=y' }, { vary_query_params: [] }));
  });

  it('vary_headers adds the listed headers (case-insensitive names, folded whitespace, absent ≠ empty)', () => {
    const raw = { vary_headers: ['X-Tenant'] };
    assert.notEqual(k({ headers: { 'x-tenant': 'a' } }, raw), k({ headers: { 'x-tenant': 'b' } }, raw));
    assert.equal(k({ headers: { 'x-tenant': ' a  b ' } }, raw), k({ headers: { 'x-tenant': 'a b' } }, raw));
    assert.notEqual(k({ headers: { 'x-tenant': '' } }, raw), k({}, raw));
    // without vary_headers a request header does not change the base key
    assert.equal(k({ headers: { 'x-tenant': 'a' } }), k({ headers: { 'x-tenant': 'b' } }));
  });

  it('ignore_uri_case folds the path', () => {
    assert.notEqual(k({ path: '/Items', upstreamPath: '/Items' }), k());
    assert.equal(k({ path: '/Items', upstreamPath: '/Items' }, { ignore_uri_case: true }), k({}, { ignore_uri_case: true }));
  });

  it('a separator inside a value cannot make two requests collide', () => {
    assert.notEqual(k({ path: '/a|b', upstreamPath: '/a' }), k({ path: '/a', upstreamPath: '|b/a' }));
  });

  it('variant key: the values of the upstream Vary headers, under the spec generation', () => {
    const spec = { headers: ['accept-language'], generation: 'g1' };
    const de = variantKey('base', spec, (h) => (h === 'accept-language' ? 'de' : undefined));
    const en = variantKey('base', spec, (h) => (h === 'accept-language' ? 'en' : undefined));
    assert.notEqual(de, en);
    assert.equal(variantKey('base', spec, () => 'de'), de);
    assert.notEqual(variantKey('base', { ...spec, generation: 'g2' }, () => 'de'), de, 'a replaced spec orphans the old variants');
    assert.notEqual(variantKey('other', spec, () => 'de'), de);
  });

  it('a Vary spec\'s generation follows from its headers: every process names a variant alike', () => {
    const a = newVarySpec(['accept-language']);
    assert.equal(newVarySpec(['accept-language']).generation, a.generation, 'two workers, one key');
    assert.notEqual(newVarySpec(['accept-encoding']).generation, a.generation);
    assert.notEqual(newVarySpec([]).generation, a.generation);
    const header = (h: string) => (h === 'accept-language' ? 'de' : 'gzip');
    assert.notEqual(variantKey('base', newVarySpec(['accept-encoding']), header), variantKey('base', a, header), 'a changed list: new keys');
  });

  it('parses Vary into sorted lower-case names, "*" wins', () => {
    assert.deepEqual(parseVary(['Accept-Language, accept-encoding', 'Origin']), ['accept-encoding', 'accept-language', 'origin']);
    assert.deepEqual(parseVary([]), []);
    assert.equal(parseVary(['Accept', '*']), '*');
  });

  it('keyRequest reads the context without touching what goes upstream', () => {
    const ctx = fakeContext({ url: '/items?b=a%20b&a=1', headers: [['Host', 'api.example.com']] });
    const r = keyRequest(ctx);
    assert.equal(r.host, 'api.example.com');
    assert.deepEqual([...r.query.keys()], ['b', 'a']);
    assert.equal(ctx.query, 'b=a%20b&a=1', 'the upstream query is not re-encoded');
  });
});
