import assert from 'node:assert/strict';
import { identifierFor, type IdentifierSettings } from '../../../../../agent/plugins/rate-limiting/identifier.js';
import { ALICE, ALICE_KEY, ctx, type CtxInit } from './fixtures.js';

const ANON_KEY = Object.freeze({ id: 'k-orphan', identifier: 'k-orphan', consumer: ALICE });

describe('rate-limiting identifier (Kong’s get_identifier)', () => {
  const by = (limitBy: IdentifierSettings['limitBy'], extra: Partial<IdentifierSettings> = {}): IdentifierSettings => ({ limitBy, headerName: undefined, path: undefined, ...extra });
  const ROWS: readonly [string, IdentifierSettings, CtxInit, string][] = [
    ['consumer: the consumer id', by('consumer'), { consumer: ALICE, credential: ALICE_KEY }, 'c-alice'],
    ['consumer: the credential id without a consumer', by('consumer'), { credential: ANON_KEY }, 'k-orphan'],
    ['consumer: the client IP without either', by('consumer'), { ip: '192.0.2.7' }, '192.0.2.7'],
    ['credential: the credential id', by('credential'), { consumer: ALICE, credential: ALICE_KEY }, 'k-alice'],
    ['credential: the client IP without one (not the consumer)', by('credential'), { consumer: ALICE, ip: '192.0.2.8' }, '192.0.2.8'],
    ['ip: the client IP even with a consumer', by('ip'), { consumer: ALICE, ip: '2001:db8::1' }, '2001:db8::1'],
    ['service: the service id when known', by('service'), { service: 'orders', serviceId: '5b1c…' }, '5b1c…'],
    ['service: else the service name', by('service'), { service: 'orders' }, 'orders'],
    ['header: the header value', by('header', { headerName: 'x-tenant' }), { headers: { 'x-tenant': 'acme' } }, 'acme'],
    ['header: the client IP when missing', by('header', { headerName: 'x-tenant' }), { ip: '192.0.2.9' }, '192.0.2.9'],
    ['header: an empty value is a value (as in Kong)', by('header', { headerName: 'x-tenant' }), { headers: { 'x-tenant': '' } }, ''],
    ['path: the path when it is exactly the configured one', by('path', { path: '/login' }), { path: '/login' }, '/login'],
    ['path: the client IP for any other path', by('path', { path: '/login' }), { path: '/login/x', ip: '192.0.2.10' }, '192.0.2.10'],
  ];
  for (const [what, settings, init, want] of ROWS) {
    it(what, () => assert.equal(identifierFor(settings, ctx(init)), want));
  }

  it('ignores X-Forwarded-For: the trusted client IP is all that counts', () => {
    const a = identifierFor(by('ip'), ctx({ ip: '10.1.1.1', headers: { 'x-forwarded-for': '1.2.3.4' } }));
    const b = identifierFor(by('ip'), ctx({ ip: '10.1.1.1', headers: { 'x-forwarded-for': '5.6.7.8' } }));
    assert.equal(a, '10.1.1.1');
    assert.equal(b, a);
  });
});
