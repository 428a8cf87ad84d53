import assert from 'node:assert/strict';
import { ageHeader, requestDirectives, usability, type RequestDirectives } from '../../../../../agent/plugins/proxy-cache/freshness.js';
import { stored } from './fixtures.js';

const T0 = 1_000_000;
const at = (s: number) => T0 + s * 1000;

describe('proxy-cache freshness', () => {
  it('age: the age it was stored with plus the time resident', () => {
    assert.equal(ageHeader(stored({ storedAtMs: T0 }), at(0)), '0');
    assert.equal(ageHeader(stored({ storedAtMs: T0, initialAgeS: 20 }), at(5.9)), '25');
  });

  it('parses request directives (Pragma only without Cache-Control)', () => {
    assert.deepEqual(requestDirectives('max-age=5, min-fresh=2, max-stale, only-if-cached', undefined), {
      noStore: false, noCache: false, maxAgeS: 5, maxStaleS: Infinity, minFreshS: 2, onlyIfCached: true,
    });
    assert.equal(requestDirectives(undefined, 'no-cache').noCache, true);
    assert.equal(requestDirectives('max-age=60', 'no-cache').noCache, false);
    assert.equal(requestDirectives('no-store', undefined).noStore, true);
    assert.equal(requestDirectives('max-age=abc', undefined).maxAgeS, 0);
  });

  const none: RequestDirectives | null = null;
  const r = (cc: string) => requestDirectives(cc, undefined);
  const entry = stored({ storedAtMs: T0, freshForS: 10, staleWhileRevalidateS: 20, staleIfErrorS: 100 });
  // [what, entry, seconds later, request directives, upstream failing, expected]
  const table: [string, ReturnType<typeof stored>, number, RequestDirectives | null, boolean, string][] = [
    ['fresh', entry, 5, none, false, 'fresh'],
    ['exactly at its lifetime: stale', stored({ storedAtMs: T0, freshForS: 10 }), 10, none, false, 'unusable'],
    ['stale within stale-while-revalidate', entry, 15, none, false, 'stale-while-revalidate'],
    ['stale past stale-while-revalidate', entry, 40, none, false, 'unusable'],
    ['stale past swr, within stale-if-error, upstream failing', entry, 40, none, true, 'stale-if-error'],
    ['stale past stale-if-error, upstream failing', entry, 111, none, true, 'unusable'],
    ['must-revalidate: never stale', stored({ storedAtMs: T0, freshForS: 10, staleWhileRevalidateS: 20, mustRevalidate: true }), 12, none, true, 'unusable'],
    ['request no-cache', entry, 1, r('no-cache'), false, 'unusable'],
    ['request max-age above the age', entry, 5, r('max-age=6'), false, 'fresh'],
    ['request max-age below the age', entry, 5, r('max-age=4'), false, 'unusable'],
    ['request min-fresh satisfied', entry, 5, r('min-fresh=4'), false, 'fresh'],
    ['request min-fresh not satisfied', entry, 5, r('min-fresh=6'), false, 'unusable'],
    ['request max-stale accepts a stale one', stored({ storedAtMs: T0, freshForS: 10 }), 14, r('max-stale=5'), false, 'stale-allowed'],
    ['request max-stale too small', stored({ storedAtMs: T0, freshForS: 10 }), 16, r('max-stale=5'), false, 'unusable'],
    ['initial age counts', stored({ storedAtMs: T0, freshForS: 10, initialAgeS: 8 }), 3, none, false, 'unusable'],
  ];
  for (const [what, e, later, req, failing, want] of table) {
    it(`${what} → ${want}`, () => assert.equal(usability(e, at(later), req, failing), want));
  }
});
