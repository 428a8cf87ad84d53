// End to end with testcontainers against the engine test/deploy/run.sh started (DOCKER_HOST,
// TESTCONTAINERS_HOST_OVERRIDE and TESTCONTAINERS_RYUK_DISABLED come from it): on one user-defined
// network a Consul server, a `users` instance with its own Consul client agent and a meshgate
// sidecar sharing its network namespace, and an edge; requests go through the edge's mapped port.
// The images are the ones the compose step built (meshgate:local, meshgate-consul:local).
import assert from 'node:assert/strict';
import { json, until } from './http-checks.mjs';
import { GenericContainer, Network, Wait } from 'testcontainers';

const BIND = ['-bind={{ GetInterfaceIP "eth0" }}'];
const EDGE_YML = `
consul: { address: "http://consul:8500" }
agent: { node: edge, admin: "127.0.0.1:9901" }
edge:
  listen: "0.0.0.0:8080"
  kong:
    _format_version: "3.0"
    services:
      - name: users
        url: http://users.service.consul
        routes: [{ name: users-api, paths: ["/api/v1/users"], strip_path: false }]
`;
const SIDECAR_YML = `
consul: { address: "http://127.0.0.1:8500" }
agent: { node: users-tc, admin: "127.0.0.1:9901" }
sidecar:
  listen: "0.0.0.0:21000"
  advertise: users-tc
  services:
    - { name: users, id: users-tc, address: 127.0.0.1, port: 7001, check: { http: "http://127.0.0.1:7001/health", interval: 1s } }
`;
// The image's own HEALTHCHECK (deploy/Dockerfile) gives an agent 5 s plus three 5 s probes; on a fresh
// cluster a sidecar is ready only once its Consul client agent has joined and the Connect CA has
// signed its leaf, which on a busy CI machine can take longer. The same probe, with a 90 s start period.
const READY_CHECK = {
  test: ['CMD', 'node', '-e', "fetch('http://127.0.0.1:9901/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"],
  interval: 2_000, timeout: 3_000, retries: 3, startPeriod: 90_000,
};
describe('testcontainers: Consul, a service with its sidecar, and an edge on one network', function () {
  this.timeout(180_000);
  const started = [];
  let network;
  let consulUrl;
  let edgeUrl;
  let edge;

  before(async () => {
    network = await new Network().start();
    const keep = async (c) => { const s = await c.start(); started.push(s); return s; };
    const consul = await keep(new GenericContainer('meshgate-consul:local')
      .withNetwork(network).withNetworkAliases('consul')
      .withEntrypoint(['consul']).withCommand(['agent', '-dev', '-client=0.0.0.0', ...BIND])
      .withExposedPorts(8500)
      .withWaitStrategy(Wait.forHttp('/v1/status/leader', 8500).forResponsePredicate((b) => b.length > 2)));
    consulUrl = `http://${consul.getHost()}:${consul.getMappedPort(8500)}`;

    const app = await keep(new GenericContainer('meshgate:local')
      .withNetwork(network).withNetworkAliases('users-tc')
      .withEntrypoint(['node', 'deploy/demo/sample-service.mjs'])
      .withCommand(['--port', '7001', '--name', 'users', '--instance', 'users-tc']));
    const beside = `container:${app.getId()}`;
    await keep(new GenericContainer('meshgate-consul:local')
      .withNetworkMode(beside).withEntrypoint(['consul'])
      .withCommand(['agent', '-node=users-tc', '-data-dir=/tmp/consul', '-retry-join=consul', '-client=127.0.0.1', ...BIND]));
    await keep(new GenericContainer('meshgate:local')
      .withNetworkMode(beside)
      .withCopyContentToContainer([{ content: SIDECAR_YML, target: '/etc/meshgate/sidecar.yml', mode: 0o644 }])
      .withCommand(['agent', '--config', '/etc/meshgate/sidecar.yml'])
      .withHealthCheck(READY_CHECK).withWaitStrategy(Wait.forHealthCheck()));
    edge = await keep(new GenericContainer('meshgate:local')
      .withNetwork(network).withNetworkAliases('edge')
      .withCopyContentToContainer([{ content: EDGE_YML, target: '/etc/meshgate/edge.yml', mode: 0o644 }])
      .withCommand(['agent', '--config', '/etc/meshgate/edge.yml'])
      .withExposedPorts(8080)
      .withHealthCheck(READY_CHECK).withWaitStrategy(Wait.forHealthCheck()));
    edgeUrl = `http://${edge.getHost()}:${edge.getMappedPort(8080)}`;
  });

  after(async () => {
    for (const c of started.reverse()) await c.stop({ timeout: 5 }).catch(() => {});
    await network?.stop().catch(() => {});
  });

  it('Consul lists the service and its sidecar proxy, all checks passing', async () => {
    await until('users and users-sidecar-proxy passing', async () => {
      for (const s of ['users', 'users-sidecar-proxy']) {
        const { body } = await json(`${consulUrl}/v1/health/checks/${s}`);
        if (!(body.length > 0 && body.every((c) => c.Status === 'passing'))) return false;
      }
      return true;
    });
  });

  it('the edge answers from the instance through its sidecar', async () => {
    const r = await until('users through the edge', async () => {
      const res = await json(`${edgeUrl}/api/v1/users/42`);
      return res.status === 200 && res.body;
    });
    assert.equal(r.service, 'users');
    assert.equal(r.instance, 'users-tc');
    for (let i = 0; i < 20; i++) {
      const res = await json(`${edgeUrl}/api/v1/users/${i}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.instance, 'users-tc');
    }
  });

  it('the sidecar mesh port presents the SPIFFE identity and refuses a client without a certificate', async () => {
    const probe = `
const tls = require('node:tls');
const s = tls.connect({ host: 'users-tc', port: 21000, servername: 'users', rejectUnauthorized: false }, () => {
  console.log(JSON.stringify({ san: s.getPeerCertificate().subjectaltname })); s.end();
});
s.on('error', (e) => console.log(JSON.stringify({ error: e.message })));`;
    const { output, exitCode } = await edge.exec(['node', '-e', probe]);
    assert.equal(exitCode, 0, output);
    const lines = output.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    assert.match(lines.find((l) => l.san)?.san ?? '', /URI:spiffe:\/\/[^/]+\.consul\/ns\/default\/dc\/[^/]+\/svc\/users/, output);
    assert.ok(lines.some((l) => /certificate required/.test(l.error ?? '')), `no client-certificate refusal: ${output}`);
  });

  it('a non-routed path gets the edge\'s JSON 404, not a forwarded request', async () => {
    const res = await json(`${edgeUrl}/nowhere`);
    assert.equal(res.status, 404);
    assert.equal(typeof res.body.message, 'string');
  });
});
