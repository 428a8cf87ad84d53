// The command line: invalid configs are refused with exit code 2 and the YAML path of each
// problem, by both `agent --config` and `validate`; valid ones pass; --version and --help.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Harness } from '../support/harness.js';
import { runBounded } from '../support/proc.js';
import { MESHGATE_BIN, REPO } from '../support/repo.js';

const UNSET = 'MESHGATE_IT_SURELY_UNSET_VAR';

/** line 3 opens a flow sequence that is never closed */
const YAML_SYNTAX_ERROR = `agent:
  node: broken
  admin: [unclosed
sidecar:
  listen: "127.0.0.1:1"
`;

function sidecarYaml(extra = ''): string {
  return `consul: { address: "http://127.0.0.1:1" }
agent: { node: t, admin: "127.0.0.1:1" }
sidecar:
  listen: "127.0.0.1:1"
  services:
    - name: users
      port: 7001
${extra}`;
}

interface Case {
  readonly name: string;
  readonly text: string;
  /** every one of these must appear in stderr */
  readonly expect: readonly (string | RegExp)[];
}

const CASES: readonly Case[] = [
  {
    name: 'a route path without a leading "/"',
    text: `edge:
  listen: "127.0.0.1:1"
  kong:
    _format_version: "3.0"
    services:
      - name: users
        url: http://users
        routes:
          - name: users
            paths: ["api/v1/users"]
`,
    expect: ['edge.kong.services[0].routes[0].paths[0]', 'must start with "/"', /\(line 10\)/],
  },
  {
    name: 'an unknown key',
    text: sidecarYaml().replace('agent: { node: t,', 'agent: { node: t, colour: blue,'),
    expect: ['agent.colour', 'unknown key'],
  },
  {
    name: 'a wrong type (port as text)',
    text: sidecarYaml().replace('port: 7001', 'port: "seven thousand"'),
    expect: ['sidecar.services[0].port'],
  },
  {
    name: 'a Kong certificate that is not PEM, in a plain decK file',
    text: `_format_version: "3.0"
services:
  - name: users
    url: http://127.0.0.1:7001
    routes: [{ name: users, paths: ["/users"] }]
certificates:
  - cert: "-----BEGIN CERTIFICATE-----"
    key: "-----BEGIN PRIVATE KEY-----"
`,
    expect: ['certificates[0].cert', 'is not a valid PEM certificate', /\(line 7\)/],
  },
  {
    name: 'an unknown Kong entity (vaults) under edge.kong',
    text: `edge:
  kong:
    _format_version: "3.0"
    vaults: [{ name: env, prefix: my-env }]
`,
    expect: ['edge.kong.vaults', 'not supported'],
  },
  {
    name: 'an unknown plugin',
    text: `_format_version: "3.0"
services:
  - name: users
    url: http://127.0.0.1:7001
    routes: [{ name: users, paths: ["/users"] }]
plugins:
  - name: no-such-plugin
`,
    expect: ['plugins[0].name', 'unknown plugin "no-such-plugin"'],
  },
  {
    name: 'neither a sidecar nor an edge section',
    text: `consul: { address: "http://127.0.0.1:8500" }
agent: { node: lonely }
`,
    expect: ['(root)', 'needs a sidecar or an edge section'],
  },
  {
    name: 'a YAML syntax error',
    text: YAML_SYNTAX_ERROR,
    expect: ['(root)', 'YAML:'],
  },
  {
    name: 'an environment variable that is not set',
    text: sidecarYaml().replace('consul: { address: "http://127.0.0.1:1" }', `consul: { address: "http://127.0.0.1:1", token: "\${${UNSET}}" }`),
    expect: ['consul.token', `environment variable ${UNSET} is not set`],
  },
  {
    name: 'a duplicate service id',
    text: sidecarYaml(`    - name: users
      port: 7002
`),
    expect: ['sidecar.services[1].name', 'duplicate service id "users"', /\(line 8\)/],
  },
  {
    name: 'a grpc route with methods (a plain decK file)',
    text: `_format_version: "3.0"
services:
  - name: greeter
    protocol: grpc
    host: greeter
    routes:
      - paths: ["/helloworld.Greeter/"]
        protocols: [grpc]
        methods: [POST]
`,
    expect: ['services[0].routes[0].methods', "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'"],
  },
  {
    name: 'a bad duration',
    text: sidecarYaml().replace('port: 7001', 'port: 7001\n      check: { http: "http://127.0.0.1:7001/health", interval: soon }'),
    expect: ['sidecar.services[0].check.interval', 'must be a duration'],
  },
];

describe('config and CLI: invalid configs are refused with their YAML paths', function () {
  let h: Harness;
  const env = { ...process.env };
  delete env[UNSET];

  before(function () { h = new Harness('config-cli'); });
  after(async function () { await h.cleanup(); });

  function meshgate(...args: string[]) {
    return runBounded(process.execPath, [MESHGATE_BIN, ...args], { env, cwd: REPO, timeoutMs: 20_000 });
  }

  function assertNames(stderr: string, c: Case, how: string): void {
    for (const e of c.expect) {
      if (typeof e === 'string') assert.ok(stderr.includes(e), `${how}: stderr should contain ${JSON.stringify(e)}:\n${stderr}`);
      else assert.match(stderr, e, `${how}: stderr should match ${e}:\n${stderr}`);
    }
  }

  CASES.forEach((c, i) => {
    it(`refuses ${c.name} (validate and agent: exit 2, path on stderr)`, async function () {
      const file = h.writeFile(`invalid-${i}.yaml`, c.text);
      // free ports, in case a bad file were wrongly accepted and the agent started
      const [listen, admin] = [await h.port(), await h.port()];
      const [v, a] = await Promise.all([
        meshgate('validate', file),
        meshgate('agent', '--config', file, '--listen', `127.0.0.1:${listen}`, '--admin', `127.0.0.1:${admin}`),
      ]);
      assert.equal(v.code, 2, `validate exit code; stderr:\n${v.stderr}`);
      assertNames(v.stderr, c, 'validate');
      assert.ok(!/^OK$/m.test(v.stdout), 'validate does not print OK');
      assert.equal(a.code, 2, `agent exit code; stderr:\n${a.stderr}\nstdout:\n${a.stdout}`);
      assertNames(a.stderr, c, 'agent');
    });
  });

  // (was a bug until 53a6bb6: load.ts parsed with prettyErrors: false, so no line was printed)
  it('names the line of a YAML syntax error', async function () {
    const file = h.writeFile('syntax-line.yaml', YAML_SYNTAX_ERROR);
    const v = await meshgate('validate', file);
    assert.equal(v.code, 2);
    assert.match(v.stderr, /\(line [3-5]\): YAML:/, v.stderr);
  });

  it('names the file when it does not exist (exit 2)', async function () {
    const missing = path.join(h.tmp, 'nope.yaml');
    const v = await meshgate('validate', missing);
    assert.equal(v.code, 2, v.stderr);
    assert.ok(v.stderr.includes('nope.yaml'), v.stderr);
  });

  it('accepts a valid sidecar file, a valid edge file and a plain decK file: validate prints OK, exit 0', async function () {
    const files = [
      h.writeFile('valid-sidecar.yaml', sidecarYaml().replace('port: 7001', `port: 7001
      check: { http: "http://127.0.0.1:7001/health", interval: 1s, timeout: 1s }`)),
      h.writeFile('valid-edge.yaml', `consul: { address: "http://127.0.0.1:8500" }
agent: { node: edge, admin: "127.0.0.1:9901" }
edge:
  listen: "127.0.0.1:8080"
  trusted_proxies: ["127.0.0.1/32"]
  kong:
    _format_version: "3.0"
    services:
      - name: users
        url: http://users
        routes: [{ name: users, paths: ["/api/v1/users"], strip_path: false }]
    upstreams: []
`),
      h.writeFile('valid-kong.yml', `_format_version: "3.0"
services:
  - name: web
    url: http://web
    routes: [{ name: web, paths: ["/"] }]
upstreams:
  - name: web
    algorithm: least-connections
    targets: [{ target: "127.0.0.1:7001", weight: 100 }, { target: "127.0.0.1:7002" }]
`),
      h.writeFile('valid-env.yaml', sidecarYaml().replace('consul: { address: "http://127.0.0.1:1" }', `consul: { address: "http://127.0.0.1:1", token: "\${${UNSET}:-fallback}" }`)),
    ];
    const results = await Promise.all(files.map((f) => meshgate('validate', f)));
    for (const [i, f] of files.entries()) {
      const v = results[i]!;
      assert.equal(v.code, 0, `${path.basename(f)}: ${v.stderr}`);
      assert.equal(v.stdout.trim(), 'OK', path.basename(f));
      assert.equal(v.stderr.trim(), '', path.basename(f));
    }
  });

  it('--version prints the package version', async function () {
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    const r = await meshgate('--version');
    assert.equal(r.code, 0);
    assert.ok(r.stdout.includes(pkg.version), r.stdout);
  });

  it('--help prints the usage and exits 0', async function () {
    const r = await meshgate('--help');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Usage:/);
    assert.match(r.stdout, /meshgate agent --config FILE/);
    assert.match(r.stdout, /meshgate validate FILE/);
  });

  it('rejects a malformed --listen with exit 2', async function () {
    const file = h.writeFile('for-listen.yml', `_format_version: "3.0"\nservices: []\n`);
    const r = await meshgate('agent', '--config', file, '--listen', 'not-a-host-port', '--admin', `127.0.0.1:${await h.port()}`);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--listen/);
  });
});
