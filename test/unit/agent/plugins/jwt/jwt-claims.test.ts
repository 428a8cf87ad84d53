import assert from 'node:assert/strict';
import { claimErrors, exceedsMaximumExpiration, type ClaimRules } from '../../../../../agent/plugins/jwt/jwt-claims.js';

const NOW = 1_700_000_000;
const rules = (r: Partial<ClaimRules>): ClaimRules => ({ verify: [], leewayS: 0, maximumExpirationS: 0, issuer: null, audiences: null, ...r });

describe('jwt claim checks', () => {
  const rows: readonly [string, Partial<ClaimRules>, Record<string, unknown>, Record<string, string> | null][] = [
    ['nothing to verify', {}, { exp: NOW - 1 }, null],
    ['exp one second ahead', { verify: ['exp'] }, { exp: NOW + 1 }, null],
    ['exp = now is expired (Kong: exp <= now)', { verify: ['exp'] }, { exp: NOW }, { exp: 'token expired' }],
    ['exp = now within a 1 s leeway', { verify: ['exp'], leewayS: 1 }, { exp: NOW }, null],
    ['exp = now - leeway is expired', { verify: ['exp'], leewayS: 5 }, { exp: NOW - 5 }, { exp: 'token expired' }],
    ['nbf = now is valid (Kong: nbf > now fails)', { verify: ['nbf'] }, { nbf: NOW }, null],
    ['nbf one second ahead', { verify: ['nbf'] }, { nbf: NOW + 1 }, { nbf: 'token not valid yet' }],
    ['nbf ahead within the leeway', { verify: ['nbf'], leewayS: 5 }, { nbf: NOW + 5 }, null],
    ['exp not a number', { verify: ['exp'] }, { exp: null }, { exp: 'must be a number' }],
    ['exp NaN-like', { verify: ['exp'] }, { exp: 'soon' }, { exp: 'must be a number' }],
    ['iss must equal issuer', { issuer: 'https://a' }, { iss: 'https://a/' }, { iss: 'invalid issuer' }],
    ['aud list with one allowed', { audiences: new Set(['x']) }, { aud: ['y', 'x'] }, null],
    ['aud of the wrong type', { audiences: new Set(['x']) }, { aud: { x: true } }, { aud: 'invalid audience' }],
  ];
  for (const [name, r, payload, want] of rows) {
    it(name, () => assert.deepEqual(claimErrors(payload, rules(r), NOW), want));
  }

  const max: readonly [string, Record<string, unknown>, boolean][] = [
    ['exactly the maximum ahead', { exp: NOW + 60 }, false],
    ['one second more', { exp: NOW + 61 }, true],
    ['no exp at all', {}, true],
    ['exp not a number', { exp: '9999999999' }, true],
  ];
  for (const [name, payload, exceeds] of max) {
    it(`maximum_expiration 60: ${name}`, () => assert.equal(exceedsMaximumExpiration(payload, rules({ maximumExpirationS: 60 }), NOW), exceeds));
  }
  it('maximum_expiration 0 is off', () => assert.equal(exceedsMaximumExpiration({}, rules({}), NOW), false));
});
