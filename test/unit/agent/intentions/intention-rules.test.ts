import assert from 'node:assert/strict';
import { rulesFromIntentionList, rulesFromServiceIntentions } from '../../../../agent/intentions/intention-rules.js';
import { compileIntentionTable } from '../../../../agent/intentions/intention-table.js';

// GET /v1/connect/intentions as Consul 1.8.7 answers it (captured), and a 1.9+ L7 item (Action "",
// Permissions set) as the API docs show it.
const LIST_1_8 = [
  { ID: '2f0d4a3b-1c1e-4b6f-9c4a-0a4c1b2d3e4f', Description: '', SourceNS: 'default', SourceName: 'web', DestinationNS: 'default', DestinationName: 'db', SourceType: 'consul', Action: 'deny', DefaultAddr: '', DefaultPort: 0, Meta: {}, Precedence: 9, CreateIndex: 11, ModifyIndex: 11 },
  { ID: '6a1e2f3c-aaaa-bbbb-cccc-0123456789ab', SourceNS: 'default', SourceName: '*', DestinationNS: 'default', DestinationName: 'db', SourceType: 'consul', Action: 'allow', Precedence: 8 },
];
const LIST_L7 = [{ SourceName: 'admin-dashboard', DestinationName: 'api', SourceType: 'consul', Action: '', Permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v2', Methods: ['get', 'PUT'] } }], Precedence: 9 }];

// The service-intentions config entry examples of Consul's configuration reference ("REST Access"
// and header matching), as GET /v1/config/service-intentions returns them (JSON).
const SERVICE_INTENTIONS = [
  {
    Kind: 'service-intentions', Name: 'api',
    Sources: [
      { Name: 'admin-dashboard', Permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v2', Methods: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'] } }], Precedence: 9, Type: 'consul' },
      { Name: 'report-generator', Permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/v2/widgets', Methods: ['GET'] } }], Precedence: 9, Type: 'consul' },
      { Name: 'client', Permissions: [{ Action: 'allow', HTTP: { PathPrefix: '/', Header: [{ Name: 'X-Version', Exact: '2' }] } }], Precedence: 9, Type: 'consul' },
    ],
    CreateIndex: 20, ModifyIndex: 20,
  },
  { Kind: 'service-intentions', Name: '*', Sources: [{ Name: '*', Action: 'deny', Precedence: 5, Type: 'consul' }] },
  { Kind: 'service-intentions', Name: 'db', Sources: [{ Name: 'web', Peer: 'other-cluster', Action: 'allow', Precedence: 9 }] },
];

describe('rulesFromIntentionList (/v1/connect/intentions)', () => {
  it('reads L4 intentions of Consul 1.8', () => {
    const { rules, problems } = rulesFromIntentionList(LIST_1_8);
    assert.deepEqual(problems, []);
    assert.deepEqual(rules, [{ source: 'web', destination: 'db', action: 'deny' }, { source: '*', destination: 'db', action: 'allow' }]);
  });
  it('reads an L7 item (methods upper-cased)', () => {
    const { rules } = rulesFromIntentionList(LIST_L7);
    assert.deepEqual(rules, [{ source: 'admin-dashboard', destination: 'api', permissions: [{ action: 'allow', http: { pathPrefix: '/v2', methods: ['GET', 'PUT'] } }] }]);
  });
  const BAD: readonly [string, unknown, RegExp][] = [
    ['unknown action', [{ SourceName: 'a', DestinationName: 'b', Action: 'maybe' }], /Action "maybe"/],
    ['missing names', [{ Action: 'allow' }], /missing source or destination/],
    ['not an object', [7], /not an object/],
    ['permission without action', [{ SourceName: 'a', DestinationName: 'b', Permissions: [{ HTTP: {} }] }], /permission Action/],
  ];
  for (const [name, body, problem] of BAD) {
    it(`skips and reports: ${name}`, () => {
      const r = rulesFromIntentionList(body);
      assert.equal(r.rules.length, 0);
      assert.match(r.problems.join('\n'), problem);
    });
  }
  it('null (no intentions) is an empty list', () => assert.deepEqual(rulesFromIntentionList(null), { rules: [], problems: [] }));
});

describe('rulesFromServiceIntentions (/v1/config/service-intentions, Consul 1.9+)', () => {
  const parsed = rulesFromServiceIntentions(SERVICE_INTENTIONS);
  it('one rule per source, destination from the entry name', () => {
    assert.deepEqual(parsed.rules.map((r) => `${r.source}→${r.destination}`), ['admin-dashboard→api', 'report-generator→api', 'client→api', '*→*']);
  });
  it('peer sources are skipped and reported', () => assert.match(parsed.problems.join('\n'), /peer sources are not supported/));
  const table = compileIntentionTable(parsed.rules, 'deny', parsed.problems);
  const ROWS: readonly [string, string, string, string, Record<string, string>, boolean][] = [
    ['admin-dashboard may DELETE under /v2', 'admin-dashboard', 'DELETE', '/v2/widgets/1', {}, true],
    ['report-generator may GET /v2/widgets', 'report-generator', 'GET', '/v2/widgets', {}, true],
    ['report-generator may not PUT (no permission matches → default deny)', 'report-generator', 'PUT', '/v2/widgets', {}, false],
    ['client without the header gets the default', 'client', 'GET', '/x', {}, false],
    ['client with X-Version: 2', 'client', 'GET', '/x', { 'x-version': '2' }, true],
    ['an unlisted source hits the */* deny', 'billing', 'GET', '/v2', {}, false],
  ];
  for (const [name, src, method, path, headers, allowed] of ROWS) {
    it(name, () => assert.equal(table.decide(src, 'api', { method, url: path, headers }).allowed, allowed));
  }
});
