import assert from 'node:assert/strict';
import { compileHashKey, cookieValue, queryArgValue, type HashSource } from '../../../../agent/balance/hash-key.js';
import type { KongUpstream } from '../../../../proto/config-schema.js';
import type { InboundRequest } from '../../../../agent/pipeline/transport.js';

function source(over: Partial<Omit<HashSource, 'req'>> & { headers?: Record<string, string | string[]> } = {}): HashSource {
  const { headers = {}, ...rest } = over;
  return {
    req: { headers } as unknown as InboundRequest, clientIp: '10.1.1.1', path: '/users/7', query: '', captures: {},
    consumerId: undefined, setCookie: null, ...rest,
  };
}

const up = (fields: Partial<KongUpstream>): KongUpstream => ({ name: 'u', algorithm: 'consistent-hashing', ...fields });

describe('compileHashKey (Kong\'s get_value_to_hash)', () => {
  const ROWS: readonly [string, Partial<KongUpstream>, HashSource, string][] = [
    ['consumer: the consumer id', { hash_on: 'consumer' }, source({ consumerId: 'c-1' }), 'c-1'],
    ['ip: the client address', { hash_on: 'ip' }, source(), '10.1.1.1'],
    ['header: its value (name in any case)', { hash_on: 'header', hash_on_header: 'X-User' }, source({ headers: { 'x-user': 'ann' } }), 'ann'],
    ['header: an empty value is a key (presence counts)', { hash_on: 'header', hash_on_header: 'x-user', hash_fallback: 'ip' }, source({ headers: { 'x-user': '' } }), ''],
    ['cookie: its value', { hash_on: 'cookie', hash_on_cookie: 'sticky' }, source({ headers: { cookie: 'a=1; sticky=s-9; b=2' } }), 's-9'],
    ['path: the normalized path', { hash_on: 'path' }, source(), '/users/7'],
    ['hash_on_query_arg: the query argument\'s value', { hash_on: 'query_arg', hash_on_query_arg: 'u' }, source({ query: 'x=1&u=bob' }), 'bob'],
    ['query_arg: repeated values sorted and joined with ","', { hash_on: 'query_arg', hash_on_query_arg: 'u' }, source({ query: 'u=b&u=a' }), 'a,b'],
    ['hash_on_uri_capture: the route\'s named capture', { hash_on: 'uri_capture', hash_on_uri_capture: 'id' }, source({ captures: { id: '42' } }), '42'],
    ['hash_fallback: used when the first is absent (no consumer → ip)', { hash_on: 'consumer', hash_fallback: 'ip' }, source(), '10.1.1.1'],
    ['hash_fallback_header: the fallback header when the first header is absent', { hash_on: 'header', hash_on_header: 'x-a', hash_fallback: 'header', hash_fallback_header: 'x-b' }, source({ headers: { 'x-b': 'bee' } }), 'bee'],
    ['hash_fallback_query_arg: the fallback query argument when the capture is absent', { hash_on: 'uri_capture', hash_on_uri_capture: 'id', hash_fallback: 'query_arg', hash_fallback_query_arg: 'u' }, source({ query: 'u=z' }), 'z'],
    ['hash_fallback_uri_capture: the fallback capture when the header is absent', { hash_on: 'header', hash_on_header: 'x-a', hash_fallback: 'uri_capture', hash_fallback_uri_capture: 'id' }, source({ captures: { id: '9' } }), '9'],
    ['neither present: "" (such requests share one target, as in Kong)', { hash_on: 'header', hash_on_header: 'x-a', hash_fallback: 'consumer' }, source(), ''],
  ];
  for (const [name, fields, src, want] of ROWS) {
    it(name, () => assert.equal(compileHashKey(up(fields))!(src), want));
  }

  it('is null for hash_on none and for other algorithms (nothing to compute per request)', () => {
    assert.equal(compileHashKey(up({})), null);
    assert.equal(compileHashKey(up({ hash_on: 'none' })), null);
    assert.equal(compileHashKey({ name: 'u', algorithm: 'round-robin', hash_on: 'ip' }), null);
  });

  it('cookie absent: a UUID key, and the Set-Cookie for it with hash_on_cookie_path', () => {
    const key = compileHashKey(up({ hash_on: 'cookie', hash_on_cookie: 'sticky', hash_on_cookie_path: '/app' }))!;
    const src = source();
    const k = key(src);
    assert.match(k, /^[0-9a-f-]{36}$/);
    assert.equal(src.setCookie, `sticky=${k}; Path=/app; SameSite=Lax; HttpOnly`);
    const again = source({ headers: { cookie: `sticky=${k}` } });
    assert.equal(key(again), k);
    assert.equal(again.setCookie, null, 'no Set-Cookie when the request has the cookie');
  });

  it('cookie path defaults to /', () => {
    const src = source();
    compileHashKey(up({ hash_on: 'header', hash_on_header: 'x', hash_fallback: 'cookie', hash_on_cookie: 'c' }))!(src);
    assert.match(src.setCookie!, /; Path=\/;/);
  });

  it('cookieValue and queryArgValue edge cases', () => {
    assert.equal(cookieValue('xsticky=1; sticky=2', 'sticky='), '2');
    assert.equal(cookieValue(undefined, 'a='), undefined);
    assert.equal(queryArgValue('', 'u'), undefined);
    assert.equal(queryArgValue('v=1', 'u'), undefined);
  });
});
