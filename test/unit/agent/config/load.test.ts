import assert from 'node:assert/strict';
import { parseConfig } from '../../../../agent/config/load.js';
import { ConfigError, type ConfigIssue } from '../../../../agent/config/config-error.js';

/** Joins lines so the YAML indentation is visible in the table. */
const y = (...lines: string[]): string => `${lines.join('\n')}\n`;

function issuesOf(text: string, env: NodeJS.ProcessEnv = {}): readonly ConfigIssue[] {
  try {
    parseConfig(text, 'test.yaml', env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.file, 'test.yaml');
    assert.match(err.message, /^test\.yaml: invalid configuration/);
    return err.issues;
  }
  assert.fail('expected parseConfig to throw ConfigError');
}

function findIssue(issues: readonly ConfigIssue[], path: string, message: string | RegExp): ConfigIssue {
  const hit = issues.find((i) => i.path === path && (typeof message === 'string' ? i.message.includes(message) : message.test(i.message)));
  assert.ok(hit, `no issue at "${path}" matching ${String(message)}; got ${JSON.stringify(issues)}`);
  return hit;
}

const SIDECAR = y(
  'sidecar:',
  '  listen: 127.0.0.1:21000',
  '  services:',
  '    - name: users',
  '      port: 8080',
);

const EDGE = (services: string[]): string => y(
  'edge:',
  '  kong:',
  '    _format_version: "3.0"',
  '    services:',
  ...services.map((l) => `      ${l}`),
);

const DECK = (...lines: string[]): string => y('_format_version: "3.0"', ...lines);

interface InvalidRow {
  readonly name: string;
  readonly text: string;
  readonly path: string;
  readonly message: string | RegExp;
  readonly env?: NodeJS.ProcessEnv;
}

const INVALID: readonly InvalidRow[] = [
  { name: 'unknown top-level key', text: SIDECAR + y('bogus: 1'), path: 'bogus', message: 'unknown key' },
  {
    name: 'unknown key in a sidecar service',
    text: y('sidecar:', '  listen: 127.0.0.1:21000', '  services:', '    - name: users', '      port: 8080', '      prot: 1'),
    path: 'sidecar.services[0].prot', message: 'unknown key',
  },
  {
    name: 'unknown key in a Kong route',
    text: DECK('services:', '  - name: a', '    host: a', '    routes:', '      - paths: [/a]', '        pathz: [/b]'),
    path: 'services[0].routes[0].pathz', message: 'unknown key',
  },
  {
    name: 'port of the wrong type',
    text: y('sidecar:', '  listen: 127.0.0.1:21000', '  services:', '    - name: users', '      port: abc'),
    path: 'sidecar.services[0].port', message: 'must be integer',
  },
  {
    name: 'port out of range',
    text: y('sidecar:', '  listen: 127.0.0.1:21000', '  services:', '    - name: users', '      port: 70000'),
    path: 'sidecar.services[0].port', message: 'must be <= 65535',
  },
  {
    name: 'boolean of the wrong type',
    text: y('edge:', '  via_sidecars: "yes"', '  kong:', '    _format_version: "3.0"'),
    path: 'edge.via_sidecars', message: 'must be boolean',
  },
  {
    name: 'route path not starting with "/"',
    text: DECK('services:', '  - name: a', '    host: a', '  - name: b', '    host: b', '    routes:', '      - paths: [users]'),
    path: 'services[1].routes[0].paths[0]', message: 'must start with "/"',
  },
  {
    name: 'lower-case method',
    text: EDGE(['- name: a', '  host: a', '  routes:', '    - methods: [GET, post]']),
    path: 'edge.kong.services[0].routes[0].methods[1]', message: 'must be an upper-case HTTP method',
  },
  {
    name: 'bad route host',
    text: DECK('services:', '  - name: a', '    host: a', '    routes:', '      - hosts: ["exa mple.com"]'),
    path: 'services[0].routes[0].hosts[0]', message: 'must be a host name',
  },
  { name: 'neither sidecar nor edge', text: y('agent:', '  node: n1'), path: '', message: 'needs a sidecar or an edge section' },
  { name: 'empty file', text: '', path: '', message: 'must be a YAML mapping' },
  { name: 'a list at the top level', text: y('- a', '- b'), path: '', message: 'must be a YAML mapping' },
  { name: 'edge without kong', text: y('edge:', '  listen: 0.0.0.0:8080'), path: 'edge.kong', message: 'is required' },
  { name: 'sidecar without listen', text: y('sidecar:', '  services:', '    - name: a', '      port: 1'), path: 'sidecar.listen', message: 'is required' },
  { name: 'sidecar with no services', text: y('sidecar:', '  listen: 127.0.0.1:21000', '  services: []'), path: 'sidecar.services', message: 'must NOT have fewer than 1 items' },
  {
    name: 'duplicate Kong service names',
    text: EDGE(['- name: users', '  host: users', '- name: users', '  host: other']),
    path: 'edge.kong.services[1].name', message: 'duplicate service name "users"',
  },
  {
    name: 'duplicate sidecar service ids',
    text: y('sidecar:', '  listen: 127.0.0.1:21000', '  services:', '    - name: users', '      port: 8080', '    - name: users', '      port: 8081'),
    path: 'sidecar.services[1].name', message: 'duplicate service id "users"',
  },
  {
    name: 'duplicate explicit sidecar ids',
    text: y('sidecar:', '  listen: 127.0.0.1:21000', '  services:', '    - name: a', '      id: x', '      port: 1', '    - name: b', '      id: x', '      port: 2'),
    path: 'sidecar.services[1].id', message: 'duplicate service id "x"',
  },
  {
    name: 'duplicate upstream names',
    text: DECK('upstreams:', '  - name: pool', '  - name: pool'),
    path: 'upstreams[1].name', message: 'duplicate upstream name "pool"',
  },
  {
    name: 'url combined with host',
    text: EDGE(['- name: a', '  url: http://a:80', '  host: a']),
    path: 'edge.kong.services[0].url', message: 'url cannot be combined with protocol, host, port or path',
  },
  {
    name: 'url combined with path',
    text: DECK('services:', '  - name: a', '    url: http://a:80', '    path: /x'),
    path: 'services[0].url', message: 'url cannot be combined',
  },
  { name: 'service with neither url nor host', text: DECK('services:', '  - name: a', '    port: 80'), path: 'services[0]', message: 'needs either url or host' },
  {
    name: 'route with nothing to match on',
    text: DECK('services:', '  - name: a', '    host: a', '    routes:', '      - name: r', '        strip_path: false'),
    path: 'services[0].routes[0]', message: 'must have at least one of paths, hosts or methods',
  },
  {
    name: 'http check without interval',
    text: y('sidecar:', '  listen: 127.0.0.1:21000', '  services:', '    - name: a', '      port: 1', '      check:', '        http: http://127.0.0.1:1/health'),
    path: 'sidecar.services[0].check.interval', message: 'is required for http and tcp checks',
  },
  {
    name: 'tcp check without interval',
    text: y('sidecar:', '  listen: 127.0.0.1:21000', '  services:', '    - name: a', '      port: 1', '      check:', '        tcp: 127.0.0.1:1'),
    path: 'sidecar.services[0].check.interval', message: 'is required for http and tcp checks',
  },
  {
    name: 'check with two kinds',
    text: y('sidecar:', '  listen: 127.0.0.1:21000', '  services:', '    - name: a', '      port: 1', '      check:', '        tcp: 127.0.0.1:1', '        ttl: 10s', '        interval: 5s'),
    path: 'sidecar.services[0].check', message: 'must have exactly one of http, tcp or ttl',
  },
  {
    name: 'check with no kind',
    text: y('sidecar:', '  listen: 127.0.0.1:21000', '  services:', '    - name: a', '      port: 1', '      check:', '        interval: 5s'),
    path: 'sidecar.services[0].check', message: 'must have exactly one of http, tcp or ttl',
  },
  {
    name: 'bad duration',
    text: SIDECAR + y('agent:', '  drain_timeout: 10sec'),
    path: 'agent.drain_timeout', message: 'must be a duration like 500ms, 10s, 1m or 2h',
  },
  // the algorithm enum is the balancer registry: a name without a balancer is refused, listing those there are
  {
    name: 'algorithm sticky-sessions (no balancer registered)',
    text: DECK('upstreams:', '  - name: pool', '    algorithm: sticky-sessions'),
    path: 'upstreams[0].algorithm', message: 'consistent-hashing',
  },
  {
    name: 'bad fail_timeout duration',
    text: DECK('upstreams:', '  - name: pool', '    passive:', '      fail_timeout: 1.5s'),
    path: 'upstreams[0].passive.fail_timeout', message: 'must be a duration',
  },
  { name: 'HOST:PORT without a port', text: y('sidecar:', '  listen: localhost', '  services:', '    - name: a', '      port: 1'), path: 'sidecar.listen', message: 'must be HOST:PORT' },
  { name: 'HOST:PORT with a named port', text: SIDECAR + y('agent:', '  admin: 127.0.0.1:http'), path: 'agent.admin', message: 'must be HOST:PORT' },
  {
    name: 'bad upstream target',
    text: DECK('upstreams:', '  - name: pool', '    targets:', '      - target: "10.0.0.1:http"'),
    path: 'upstreams[0].targets[0].target', message: 'must be HOST or HOST:PORT',
  },
  { name: 'log_level not in the list', text: SIDECAR + y('agent:', '  log_level: loud'), path: 'agent.log_level', message: 'must be one of ["fatal","error","warn","info","debug","trace","silent"]' },
  { name: 'unknown decK format version', text: y('_format_version: "4.0"'), path: '_format_version', message: 'must be one of ["3.0","2.1","1.1"]' },
  { name: 'decK unknown plugin', text: DECK('plugins:', '  - name: no-such-plugin'), path: 'plugins[0].name', message: 'unknown plugin "no-such-plugin"' },
  { name: 'decK consumer credential without key', text: DECK('consumers:', '  - username: bob', '    keyauth_credentials: [{}]'), path: 'consumers[0].keyauth_credentials[0].key', message: 'is required' },
  { name: 'decK top-level routes', text: DECK('routes:', '  - paths: [/a]'), path: 'routes', message: 'top-level routes are not supported yet' },
  { name: 'unknown plugin inside edge.kong', text: y('edge:', '  kong:', '    _format_version: "3.0"', '    plugins: [{ name: nope }]'), path: 'edge.kong.plugins[0].name', message: 'unknown plugin "nope"' },
  {
    name: 'invalid regex path',
    text: DECK('services:', '  - name: a', '    host: a', '    routes:', '      - paths: ["~/x("]'),
    path: 'services[0].routes[0].paths[0]', message: 'invalid regex',
  },
  { name: 'environment variable not set', text: SIDECAR + y('consul:', '  token: ${NOPE}'), path: 'consul.token', message: 'environment variable NOPE is not set' },
  { name: 'YAML syntax error', text: y('sidecar:', '  listen: [127.0.0.1', 'edge: x'), path: '', message: 'YAML: ' },
  { name: 'duplicate keys', text: y('agent:', '  node: a', '  node: b'), path: '', message: 'Map keys must be unique' },
  {
    name: 'edge and sidecar on the same port',
    text: y('edge:', '  listen: 0.0.0.0:8080', '  kong:', '    _format_version: "3.0"', 'sidecar:', '  listen: 127.0.0.1:8080', '  services:', '    - name: a', '      port: 1'),
    path: 'sidecar.listen', message: 'port 8080 is already used by edge.listen',
  },
  {
    name: 'sidecar upstream on the sidecar\'s port',
    text: SIDECAR.replace('  services:', '  upstreams:\n    - service: orders\n      listen: 127.0.0.1:21000\n  services:'),
    path: 'sidecar.upstreams[0].listen', message: 'port 21000 is already used by sidecar.listen',
  },
  {
    name: 'duplicate sidecar upstream',
    text: SIDECAR.replace('  services:', '  upstreams:\n    - service: orders\n      listen: 127.0.0.1:9001\n    - service: orders\n      listen: 127.0.0.1:9002\n  services:'),
    path: 'sidecar.upstreams[1].service', message: 'duplicate upstream "orders"',
  },
  { name: 'unknown key in mesh', text: SIDECAR + y('mesh:', '  mtls: true'), path: 'mesh.mtls', message: 'unknown key' },
  { name: 'mesh.tls not one of the choices', text: SIDECAR + y('mesh:', '  tls: maybe'), path: 'mesh.tls', message: /must/ },
  { name: 'decK keys without _format_version are meshgate keys', text: y('services:', '  - name: a'), path: 'services', message: 'unknown key' },
];

describe('parseConfig', () => {
  describe('rejects invalid configs with the YAML path of the problem', () => {
    for (const row of INVALID) {
      it(row.name, () => {
        findIssue(issuesOf(row.text, row.env), row.path, row.message);
      });
    }
  });

  it('reports every problem at once, not only the first', () => {
    const issues = issuesOf(y('bogus: 1', 'sidecar:', '  listen: nope', '  services:', '    - name: a', '      port: 0'));
    findIssue(issues, 'bogus', 'unknown key');
    findIssue(issues, 'sidecar.listen', 'must be HOST:PORT');
    findIssue(issues, 'sidecar.services[0].port', 'must be >= 1');
  });

  it('reports each missing environment variable with its path, and nothing else', () => {
    const issues = issuesOf(SIDECAR + y('consul:', '  token: ${NOPE}', '  datacenter: dc-${ALSO_NOPE}'));
    assert.deepEqual(issues.map((i) => [i.path, i.message]), [
      ['consul.token', 'environment variable NOPE is not set'],
      ['consul.datacenter', 'environment variable ALSO_NOPE is not set'],
    ]);
  });

  describe('issue.line', () => {
    it('points at the offending list item', () => {
      const text = DECK(
        'services:', //             line 2
        '  - name: a', //           line 3
        '    host: a', //           line 4
        '  - name: b', //           line 5
        '    host: b', //           line 6
        '    routes:', //           line 7
        '      - paths:', //        line 8
        '          - nope', //      line 9
      );
      const issue = findIssue(issuesOf(text), 'services[1].routes[0].paths[0]', 'must start with "/"');
      assert.equal(issue.line, 9);
    });

    it('points at the value of an unknown key', () => {
      const issue = findIssue(issuesOf(SIDECAR + y('agent:', '  node: n', '  colour: blue')), 'agent.colour', 'unknown key');
      assert.equal(issue.line, 8);
    });

    it('points a missing key at its parent mapping', () => {
      const issue = findIssue(issuesOf(y('# comment', 'sidecar:', '  services:', '    - name: a', '      port: 1')), 'sidecar.listen', 'is required');
      assert.equal(issue.line, 3);
    });

    it('points an environment-variable issue at the value', () => {
      const issue = findIssue(issuesOf(SIDECAR + y('consul:', '  token: ${NOPE}')), 'consul.token', 'NOPE');
      assert.equal(issue.line, 7);
    });

    // Regression (found as a bug): YAML errors are built with `line: e.linePos?.[0].line`, but parseDocument is called with
    // prettyErrors: false, so the yaml library never fills linePos: syntax errors and duplicate keys
    // come out with no line number at all (the error's pos is there; LineCounter would give the line).
    it('a YAML duplicate key is reported with its line', () => {
      const issues = issuesOf(y('agent:', '  node: a', '  node: b'));
      const issue = findIssue(issues, '', 'Map keys must be unique');
      assert.equal(issue.line, 3);
    });
  });

  // Regression (found as a bug): kongRules() has a dedicated message for regex paths ("~/x"), but the schema's
  // pattern '^/' rejects "~/x" first and validation stops there, so that rule never runs and the
  // user is told 'must start with "/"' instead of "regex paths are not supported yet".
  it('a path that is neither a prefix nor a "~" regex gets the rule as message', () => {
    const issues = issuesOf(DECK('services:', '  - name: a', '    host: a', '    routes:', '      - paths: ["x"]'));
    findIssue(issues, 'services[0].routes[0].paths[0]', 'must start with "/"');
  });

  // Regression (found as a bug): the HostPort pattern accepts any 1-5 digit port, so "0.0.0.0:99999" (and port 0) passes
  // validation and the agent only fails later, when it tries to listen.
  it('a HOST:PORT with a port above 65535 is refused by validation', () => {
    const issues = issuesOf(y('edge:', '  listen: 0.0.0.0:99999', '  kong:', '    _format_version: "3.0"'));
    findIssue(issues, 'edge.listen', 'HOST:PORT');
  });

  // Regression (found as a bug): trusted_proxies entries only have to match '^[0-9a-fA-F:.]+(/[0-9]{1,3})?$', so "10.0.0.0/33"
  // or "abc" pass validation, and new TrustedProxies(...) then throws (ERR_OUT_OF_RANGE /
  // ERR_INVALID_ADDRESS) at startup, with no YAML path.
  it('an impossible trusted_proxies CIDR is refused by validation', () => {
    const issues = issuesOf(y('edge:', '  trusted_proxies: ["10.0.0.0/33"]', '  kong:', '    _format_version: "3.0"'));
    findIssue(issues, 'edge.trusted_proxies[0]', 'CIDR');
  });

  describe('valid configs', () => {
    const FULL = y(
      'consul:',
      '  address: http://127.0.0.1:8500',
      '  token: ${CONSUL_TOKEN}',
      'agent:',
      '  node: ${NODE_NAME:-edge-1}',
      '  admin: 127.0.0.1:9901',
      '  log_level: debug',
      '  drain_timeout: 5s',
      'sidecar:',
      '  listen: 0.0.0.0:21000',
      '  services:',
      '    - name: users',
      '      port: 8080',
      '      tags: [v1]',
      '      weights: { passing: 3 }',
      '      check:',
      '        http: http://127.0.0.1:8080/health',
      '        interval: 5s',
      '    - name: users',
      '      id: users-2',
      '      port: 8081',
      '      check: { ttl: 30s }',
      'edge:',
      '  listen: "[::]:8080"',
      '  trusted_proxies: [10.0.0.0/8, "::1"]',
      '  kong:',
      '    _format_version: "3.0"',
      '    services:',
      '      - name: users',
      '        url: http://users:8080/api',
      '        routes:',
      '          - name: users-route',
      '            paths: [/users]',
      '            methods: [GET, POST]',
      '            hosts: ["*.example.com", "api.example.*", "example.com:8080"]',
      '    upstreams:',
      '      - name: pool',
      '        algorithm: least-connections',
      '        targets: [{ target: "10.0.0.1:80", weight: 10 }]',
      '        passive: { max_fails: 0, fail_timeout: 30s }',
    );

    it('accepts a meshgate file with sidecar and edge', () => {
      const { config, deckOnly } = parseConfig(FULL, 'full.yaml', { CONSUL_TOKEN: 'secret' });
      assert.equal(deckOnly, false);
      assert.equal(config.consul?.token, 'secret');
      assert.equal(config.agent?.node, 'edge-1');
      assert.equal(config.sidecar?.listen, '0.0.0.0:21000');
      assert.deepEqual(config.sidecar?.services.map((s) => s.id ?? s.name), ['users', 'users-2']);
      assert.equal(config.edge?.listen, '[::]:8080');
      assert.deepEqual(config.edge?.kong.services?.[0]?.routes?.[0]?.paths, ['/users']);
      assert.equal(config.edge?.kong.upstreams?.[0]?.algorithm, 'least-connections');
    });

    it('accepts the meshgate least-request balancer', () => {
      const { config } = parseConfig(DECK('upstreams:', '  - name: pool', '    algorithm: least-request'), 'kong.yaml', {});
      assert.equal(config.edge?.kong.upstreams?.[0]?.algorithm, 'least-request');
    });

    it('reads a plain decK file as an edge on Kong\'s default ports', () => {
      const text = DECK('services:', '  - name: users', '    host: users', '    routes:', '      - paths: [/users]');
      const { config, deckOnly } = parseConfig(text, 'kong.yaml', {});
      assert.equal(deckOnly, true);
      assert.equal(config.edge?.listen, '0.0.0.0:8000');
      assert.equal(config.agent?.admin, '127.0.0.1:8001');
      assert.equal(config.edge?.via_sidecars, false);
      assert.equal(config.sidecar, undefined);
      assert.deepEqual(config.edge?.kong, {
        _format_version: '3.0',
        services: [{ name: 'users', host: 'users', routes: [{ paths: ['/users'] }] }],
      });
    });

    it('accepts an empty decK file', () => {
      const { config, deckOnly } = parseConfig(y('_format_version: "1.1"'), 'kong.yaml', {});
      assert.equal(deckOnly, true);
      assert.deepEqual(config.edge?.kong, { _format_version: '1.1' });
    });

    const INTERPOLATION: readonly { name: string; value: string; env: NodeJS.ProcessEnv; want: string }[] = [
      { name: '${VAR}', value: '${TOKEN}', env: { TOKEN: 't0k' }, want: 't0k' },
      { name: '${VAR} inside text', value: 'Bearer ${TOKEN}!', env: { TOKEN: 't0k' }, want: 'Bearer t0k!' },
      { name: '${VAR:-default} when unset', value: '${TOKEN:-fallback}', env: {}, want: 'fallback' },
      { name: '${VAR:-default} when set', value: '${TOKEN:-fallback}', env: { TOKEN: 'set' }, want: 'set' },
      { name: '${VAR:-} gives the empty string', value: 'x${TOKEN:-}y', env: {}, want: 'xy' },
      { name: 'a variable set to "" is used', value: '${TOKEN:-fallback}', env: { TOKEN: '' }, want: '' },
      { name: 'two variables', value: '${A}-${B}', env: { A: '1', B: '2' }, want: '1-2' },
    ];
    for (const row of INTERPOLATION) {
      it(`interpolates ${row.name}`, () => {
        const { config } = parseConfig(SIDECAR + y('consul:', `  token: "${row.value}"`), 'x.yaml', row.env);
        assert.equal(config.consul?.token, row.want);
      });
    }

    it('interpolates values, never keys', () => {
      const text = y('sidecar:', '  listen: 127.0.0.1:21000', '  services:', '    - name: a', '      port: 1', '      meta:', '        "${K}": "${V}"');
      const { config } = parseConfig(text, 'x.yaml', { K: 'key', V: 'value' });
      assert.deepEqual(config.sidecar?.services[0]?.meta, { '${K}': 'value' });
    });

    it('returns a deep-frozen config', () => {
      const { config } = parseConfig(FULL, 'full.yaml', { CONSUL_TOKEN: 's' });
      const route = config.edge!.kong.services![0]!.routes![0]!;
      for (const v of [config, config.agent, config.sidecar, config.sidecar!.services, config.sidecar!.services[0], config.edge!.kong, route, route.paths]) {
        assert.ok(Object.isFrozen(v));
      }
      assert.throws(() => { (route.paths as string[]).push('/x'); }, TypeError);
      assert.throws(() => { (config.agent as { node?: string }).node = 'other'; }, TypeError);
    });

    it('freezes the decK-only config too', () => {
      const { config } = parseConfig(DECK('services:', '  - name: a', '    host: a'), 'x.yaml', {});
      assert.ok(Object.isFrozen(config.edge));
      assert.ok(Object.isFrozen(config.edge!.kong.services![0]));
    });
  });
});
