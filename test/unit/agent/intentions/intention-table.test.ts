import assert from 'node:assert/strict';
import { compileIntentionTable, precedenceOf, type RequestFacts } from '../../../../agent/intentions/intention-table.js';
import type { IntentionRule } from '../../../../agent/intentions/intention-rules.js';

const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): RequestFacts => ({ method, url: path, headers });

describe('intention precedence (Consul docs: "Precedence and match order", default namespace)', () => {
  // source name, destination name → precedence, as the docs' table lists them
  const TABLE: readonly [string, string, number][] = [
    ['web', 'db', 9],
    ['*', 'db', 8],
    ['web', '*', 6],
    ['*', '*', 5],
  ];
  for (const [s, d, want] of TABLE) it(`${s} → ${d} has precedence ${want}`, () => assert.equal(precedenceOf(s, d), want));
});

describe('compileIntentionTable: decisions', () => {
  const L4 = (source: string, destination: string, action: 'allow' | 'deny'): IntentionRule => ({ source, destination, action });
  const ROWS: readonly { name: string; rules: IntentionRule[]; def: 'allow' | 'deny'; src: string; dst: string; allowed: boolean; reason: RegExp }[] = [
    { name: 'no intentions, default deny', rules: [], def: 'deny', src: 'web', dst: 'db', allowed: false, reason: /^default deny$/ },
    { name: 'no intentions, default allow', rules: [], def: 'allow', src: 'web', dst: 'db', allowed: true, reason: /^default allow$/ },
    { name: 'exact allow over default deny', rules: [L4('web', 'db', 'allow')], def: 'deny', src: 'web', dst: 'db', allowed: true, reason: /precedence 9/ },
    { name: 'exact/exact (9) beats */exact (8)', rules: [L4('*', 'db', 'deny'), L4('web', 'db', 'allow')], def: 'deny', src: 'web', dst: 'db', allowed: true, reason: /web → db/ },
    { name: '*/exact (8) beats exact/* (6)', rules: [L4('web', '*', 'allow'), L4('*', 'db', 'deny')], def: 'allow', src: 'web', dst: 'db', allowed: false, reason: /\* → db \(precedence 8\)/ },
    { name: 'exact/* (6) beats */* (5)', rules: [L4('*', '*', 'deny'), L4('web', '*', 'allow')], def: 'deny', src: 'web', dst: 'db', allowed: true, reason: /precedence 6/ },
    { name: '*/* (5) beats the default', rules: [L4('*', '*', 'deny')], def: 'allow', src: 'web', dst: 'db', allowed: false, reason: /precedence 5/ },
    { name: 'another source does not match an exact intention', rules: [L4('web', 'db', 'deny')], def: 'allow', src: 'api', dst: 'db', allowed: true, reason: /default/ },
    { name: 'another destination does not match', rules: [L4('web', 'db', 'allow')], def: 'deny', src: 'web', dst: 'cache', allowed: false, reason: /default/ },
    { name: 'equal precedence: deny wins over allow (either order)', rules: [L4('web', 'db', 'allow'), L4('web', 'db', 'deny')], def: 'allow', src: 'web', dst: 'db', allowed: false, reason: /deny intention/ },
    { name: 'equal precedence: deny wins, deny listed first', rules: [L4('web', 'db', 'deny'), L4('web', 'db', 'allow')], def: 'allow', src: 'web', dst: 'db', allowed: false, reason: /deny intention/ },
  ];
  for (const r of ROWS) {
    it(r.name, () => {
      const d = compileIntentionTable(r.rules, r.def).decide(r.src, r.dst);
      assert.equal(d.allowed, r.allowed);
      assert.match(d.reason, r.reason);
    });
  }
});

describe('compileIntentionTable: L7 permissions', () => {
  const rule: IntentionRule = {
    source: 'web', destination: 'api', permissions: [
      { action: 'deny', http: { pathPrefix: '/admin' } },
      { action: 'allow', http: { pathPrefix: '/v2', methods: ['GET', 'PUT'] } },
      { action: 'allow', http: { pathExact: '/healthz' } },
      { action: 'allow', http: { pathRegex: '/users/[0-9]+', methods: ['GET'] } },
      { action: 'allow', http: { pathPrefix: '/hdr', headers: [{ name: 'x-env', exact: 'prod' }, { name: 'x-debug', present: true, invert: true }] } },
      { action: 'allow', http: { pathPrefix: '/pre', headers: [{ name: 'x-team', prefix: 'pay' }, { name: 'x-region', suffix: '-1' }, { name: 'x-build', regex: 'v[0-9]+' }] } },
    ],
  };
  const table = compileIntentionTable([rule, { source: '*', destination: 'api', action: 'allow' }], 'deny');
  const ROWS: readonly [string, RequestFacts, boolean][] = [
    ['first matching permission decides: /admin denied', get('/admin/users'), false],
    ['prefix + method allowed', get('/v2/items'), true],
    ['prefix + method not listed → default deny (not the lower */api allow)', get('/v2/items', {}, 'DELETE'), false],
    ['exact path', get('/healthz'), true],
    ['exact path is not a prefix', get('/healthz/deep'), false],
    ['the query string is not part of the path', get('/healthz?probe=1'), true],
    ['regex is anchored: matches the whole path', get('/users/42'), true],
    ['regex is anchored: trailing text', get('/users/42/orders'), false],
    ['regex + method', get('/users/42', {}, 'POST'), false],
    ['header exact and absent-by-invert', get('/hdr', { 'x-env': 'prod' }), true],
    ['header exact mismatch', get('/hdr', { 'x-env': 'dev' }), false],
    ['inverted present header given', get('/hdr', { 'x-env': 'prod', 'x-debug': '1' }), false],
    ['prefix, suffix and regex headers', get('/pre', { 'x-team': 'payments', 'x-region': 'eu-1', 'x-build': 'v12' }), true],
    ['regex header is anchored', get('/pre', { 'x-team': 'payments', 'x-region': 'eu-1', 'x-build': 'v12-rc' }), false],
    ['no permission matches → default', get('/other'), false],
  ];
  for (const [name, req, allowed] of ROWS) it(name, () => assert.equal(table.decide('web', 'api', req).allowed, allowed));

  it('another source falls to the lower-precedence L4 intention', () => assert.equal(table.decide('batch', 'api', get('/admin')).allowed, true));
  it('an L7 intention without HTTP facts denies', () => assert.equal(table.decide('web', 'api').allowed, false));
  it('a default allow applies when no permission matches', () => {
    assert.equal(compileIntentionTable([rule], 'allow').decide('web', 'api', get('/other')).allowed, true);
  });
  it('an invalid regex skips that intention and is reported', () => {
    const t = compileIntentionTable([{ source: 'web', destination: 'api', permissions: [{ action: 'allow', http: { pathRegex: '(' } }] }], 'deny');
    assert.equal(t.problems.length, 1);
    assert.match(t.problems[0]!, /invalid regex/);
    assert.equal(t.decide('web', 'api', get('/')).reason, 'default deny');
  });
});
