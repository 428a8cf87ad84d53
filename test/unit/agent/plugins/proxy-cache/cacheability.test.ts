import assert from 'node:assert/strict';
import { decideStore, type StoreDecision } from '../../../../../agent/plugins/proxy-cache/cacheability.js';
import { parseCacheControl } from '../../../../../agent/plugins/proxy-cache/cache-control.js';
import { contentTypeAllowed, parseMediaRange } from '../../../../../agent/plugins/proxy-cache/content-type.js';
import { FlatHeaderList } from '../../../../../agent/plugins/header-list.js';
import { settings } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const h = (...pairs: [string, string][]) => new FlatHeaderList(pairs.flat());
const JSON_CT: [string, string] = ['Content-Type', 'application/json'];

describe('proxy-cache cacheability', () => {
  const s = settings();
  const cc = settings({ cache_control: true });
  const reason = (d: StoreDecision) => (d.store ? 'stored' : d.reason);

  // [what, settings, status, headers, request has Authorization, expected]
  const table: [string, ReturnType<typeof settings>, number, FlatHeaderList, boolean, string][] = [
    ['200 JSON', s, 200, h(JSON_CT), false, 'stored'],
    ['301 and 404 are listed by default', s, 404, h(JSON_CT), false, 'stored'],
    ['500 is not listed', s, 500, h(JSON_CT), false, 'status'],
    ['201 is not listed', s, 201, h(JSON_CT), false, 'status'],
    ['206 never, even when listed', settings({ response_code: [200, 206] }), 206, h(JSON_CT), false, 'partial'],
    ['text/plain with charset', s, 200, h(['content-type', 'text/plain; charset=utf-8']), false, 'stored'],
    ['text/html is not listed', s, 200, h(['content-type', 'text/html']), false, 'content-type'],
    ['no Content-Type', s, 200, h(), false, 'content-type'],
    ['Set-Cookie', s, 200, h(JSON_CT, ['Set-Cookie', 'sid=1']), false, 'set-cookie'],
    ['Cache-Control: private (cache_control off)', s, 200, h(JSON_CT, ['Cache-Control', 'private, max-age=60']), false, 'private'],
    ['Cache-Control: private="x" (qualified)', s, 200, h(JSON_CT, ['Cache-Control', 'private="Set-Cookie"']), false, 'private'],
    ['Cache-Control: no-store (cache_control off)', s, 200, h(JSON_CT, ['Cache-Control', 'no-store']), false, 'no-store'],
    ['no-store in a second field line', s, 200, h(JSON_CT, ['Cache-Control', 'max-age=5'], ['cache-control', 'no-store']), false, 'no-store'],
    ['Vary: *', s, 200, h(JSON_CT, ['Vary', 'Accept, *']), false, 'vary-star'],
    ['Authorization, response not shareable', s, 200, h(JSON_CT, ['Cache-Control', 'max-age=60']), true, 'authorization'],
    ['Authorization, response public', s, 200, h(JSON_CT, ['Cache-Control', 'public, max-age=60']), true, 'stored'],
    ['Authorization, response s-maxage', s, 200, h(JSON_CT, ['Cache-Control', 's-maxage=60']), true, 'stored'],
    ['Authorization, response must-revalidate', s, 200, h(JSON_CT, ['Cache-Control', 'must-revalidate, max-age=9']), true, 'stored'],
    ['no-cache ignored without cache_control (Kong)', s, 200, h(JSON_CT, ['Cache-Control', 'no-cache']), false, 'stored'],
    ['no-cache with cache_control', cc, 200, h(JSON_CT, ['Cache-Control', 'no-cache']), false, 'no-cache'],
    ['max-age=0 with cache_control', cc, 200, h(JSON_CT, ['Cache-Control', 'max-age=0']), false, 'expired'],
    ['malformed max-age with cache_control', cc, 200, h(JSON_CT, ['Cache-Control', 'max-age=soon']), false, 'expired'],
    ['Expires in the past', cc, 200, h(JSON_CT, ['Date', new Date(NOW).toUTCString()], ['Expires', new Date(NOW - 1000).toUTCString()]), false, 'expired'],
    ['invalid Expires ("0") means expired', cc, 200, h(JSON_CT, ['Expires', '0']), false, 'expired'],
    ['max-age=0 but stale-while-revalidate', cc, 200, h(JSON_CT, ['Cache-Control', 'max-age=0, stale-while-revalidate=30']), false, 'stored'],
  ];
  for (const [what, conf, status, headers, auth, want] of table) {
    it(`${what} → ${want}`, () => assert.equal(reason(decideStore(conf, status, headers, auth, NOW)), want));
  }

  it('lifetime without cache_control is cache_ttl, whatever the response says', () => {
    const d = decideStore(settings({ cache_ttl: 42 }), 200, h(JSON_CT, ['Cache-Control', 'max-age=5'], ['Age', '3']), false, NOW);
    assert.ok(d.store);
    assert.deepEqual([d.plan.freshForS, d.plan.initialAgeS, d.plan.storageTtlS, d.plan.staleWhileRevalidateS], [42, 0, 42, 0]);
  });

  // [Cache-Control, other headers, fresh for, storage ttl, swr, sie, must revalidate]
  const lifetimes: [string | null, [string, string][], number, number, number, number, boolean][] = [
    ['max-age=60', [], 60, 60, 0, 0, false],
    ['s-maxage=30, max-age=60', [], 30, 30, 0, 0, true],
    ['max-age=60', [['Age', '20']], 60, 40, 0, 0, false],
    ['max-age=10, stale-while-revalidate=30, stale-if-error=90', [], 10, 100, 30, 90, false],
    ['max-age=10, must-revalidate, stale-while-revalidate=30', [], 10, 10, 0, 0, true],
    [null, [['Date', new Date(NOW).toUTCString()], ['Expires', new Date(NOW + 120_000).toUTCString()]], 120, 120, 0, 0, false],
    [null, [], 300, 300, 0, 0, false],
  ];
  for (const [ccValue, extra, fresh, ttl, swr, sie, mustRevalidate] of lifetimes) {
    it(`cache_control: ${ccValue ?? (extra.map(([n]) => n).join('+') || 'nothing')} → fresh ${fresh}s, kept ${ttl}s`, () => {
      const headers = h(JSON_CT, ...(ccValue !== null ? [['Cache-Control', ccValue] as [string, string]] : []), ...extra);
      const d = decideStore(cc, 200, headers, false, NOW);
      assert.ok(d.store, JSON.stringify(d));
      assert.deepEqual(
        [d.plan.freshForS, d.plan.storageTtlS, d.plan.staleWhileRevalidateS, d.plan.staleIfErrorS, d.plan.mustRevalidate],
        [fresh, ttl, swr, sie, mustRevalidate],
      );
    });
  }

  it('storage_ttl overrides how long the store keeps an entry', () => {
    const d = decideStore(settings({ cache_control: true, storage_ttl: 900 }), 200, h(JSON_CT, ['Cache-Control', 'max-age=60']), false, NOW);
    assert.ok(d.store);
    assert.equal(d.plan.storageTtlS, 900);
    assert.equal(d.plan.freshForS, 60);
  });

  it('keeps the upstream Vary as the variant headers', () => {
    const d = decideStore(s, 200, h(JSON_CT, ['Vary', 'Accept-Language, Accept-Encoding']), false, NOW);
    assert.ok(d.store);
    assert.deepEqual(d.plan.vary, ['accept-encoding', 'accept-language']);
  });
});

describe('proxy-cache content_type matching (parameters ignored unless listed)', () => {
  const ranges = (...v: string[]) => v.map((x) => parseMediaRange(x)!);
  const table: [string[], string | undefined, boolean][] = [
    [['application/json'], 'application/json', true],
    [['application/json'], 'Application/JSON; charset=UTF-8', true],
    [['application/json'], 'application/problem+json', false],
    [['application/json; charset=utf-8'], 'application/json', false],
    [['application/json; charset=utf-8'], 'application/json;charset="UTF-8"', true],
    [['application/*'], 'application/xml', true],
    [['*/*'], 'image/png', true],
    [['text/plain'], undefined, false],
    [['text/plain'], 'garbage', false],
  ];
  for (const [conf, actual, want] of table) {
    it(`${conf.join(',')} vs ${actual} → ${want}`, () => assert.equal(contentTypeAllowed(ranges(...conf), actual), want));
  }
  it('refuses configured values that are not media types', () => assert.equal(parseMediaRange('json'), null));
});

describe('proxy-cache Cache-Control parsing', () => {
  it('reads flags, arguments and quoted strings with commas', () => {
    const d = parseCacheControl(['Max-Age=60, no-cache="Set-Cookie, X-A", public', 'max-age=5']);
    assert.deepEqual([...d], [['max-age', '60'], ['no-cache', 'Set-Cookie, X-A'], ['public', true]]);
  });
});
