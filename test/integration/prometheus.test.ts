// Kong-compatible metrics read by a real Prometheus: an edge with Kong's prometheus plugin (and
// mesh TLS from Consul, a cache, a rate limit, a breaker, a dead target, a dead trace collector)
// is scraped by Debian's prometheus; every query of deploy/grafana/meshgate-dashboard.json must
// return data through Prometheus's HTTP API, and promtool must parse /metrics.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { prometheusBinaries } from '../support/prometheus.js';
import { runBounded } from '../support/proc.js';
import { REPO } from '../support/repo.js';

interface Dashboard { panels: { title: string; targets: { expr: string }[] }[] }

/**
 * Lint findings on names meshgate does not choose: Kong's (kept as Kong spells them, for Kong's
 * dashboards) and prom-client's default nodejs_active_*_total gauges.
 */
const FOREIGN_NAME_LINT = [
  /^kong_\w+ (metric names should not contain abbreviated units|counter metrics should have "_total" suffix)$/,
  /^meshgate_nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/,
];

describe('metrics: Kong names scraped by a real Prometheus, the Grafana dashboard answered', function () {
  this.timeout(180_000);
  const harness = useHarness('prometheus');
  let users: ServiceHandle;
  let web: ServiceHandle;
  let edge: AgentHandle;
  let promPort = 0;

  before(async function () {
    const h = harness();
    const bins = await prometheusBinaries();
    const deadPort = await h.port();
    [users, web] = await Promise.all([h.startService('users', 'users-1'), h.startService('web', 'web-1')]);
    await h.startSidecar({ service: users });
    edge = await h.startEdge({
      kong: {
        _format_version: '3.0',
        services: [
          { name: 'users', url: 'http://users', routes: [{ name: 'users', paths: ['/users'], strip_path: false, plugins: [{ name: 'proxy-cache', config: { strategy: 'memory' } }] }],
            plugins: [{ name: 'circuit-breaker', config: { threshold: 50 } }] },
          { name: 'limited', url: 'http://users', routes: [{ name: 'limited', paths: ['/limited'], plugins: [{ name: 'rate-limiting', config: { minute: 2, policy: 'local' } }] }] },
          { name: 'flaky', url: 'http://flaky-lb', routes: [{ name: 'flaky', paths: ['/flaky'] }] },
        ],
        upstreams: [{ name: 'flaky-lb', targets: [{ target: `127.0.0.1:${deadPort}` }, { target: `127.0.0.1:${web.port}` }] }],
        plugins: [
          { name: 'prometheus', config: { per_consumer: true, status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true, upstream_health_metrics: true } },
          // nothing listens there: spans are dropped and counted
          { name: 'opentelemetry', config: { traces_endpoint: `http://127.0.0.1:${deadPort}/v1/traces`, queue: { max_coalescing_delay: 0.1 } } },
        ],
      },
    });
    await h.waitForPool(edge, 'consul:users', ['users-1']);
    promPort = await h.port();
    const cfg = h.writeFile('prometheus.yml', [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: meshgate-edge',
      `    static_configs: [{ targets: ["127.0.0.1:${edge.adminPort}"] }]`,
      '',
    ].join('\n'));
    h.spawn('prometheus', bins.prometheus, [
      `--config.file=${cfg}`, `--storage.tsdb.path=${h.tmp}/prometheus-data`, `--web.listen-address=127.0.0.1:${promPort}`,
    ]);
    await waitFor(async () => (await h.http.get(`http://127.0.0.1:${promPort}/-/ready`).catch(() => ({ status: 0 }))).status === 200, { timeoutMs: 30_000, intervalMs: 200, what: 'prometheus ready' });
  });

  async function traffic(): Promise<void> {
    const h = harness();
    for (let i = 0; i < 6; i++) {
      assert.equal((await h.http.get(`${edge.url}/users/1`)).status, 200);
      await h.http.get(`${edge.url}/limited/1`);
      assert.equal((await h.http.get(`${edge.url}/flaky/${i}`)).status, 200);
    }
    await h.http.get(`${edge.url}/nothing`);
  }

  async function query(expr: string): Promise<unknown[]> {
    const h = harness();
    const r = await h.http.json<{ status: string; data: { result: unknown[] } }>(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
    assert.equal(r.status, 'success', expr);
    return r.data.result;
  }

  it('exposes Kong names and labels on /metrics, and meshgate process metrics with one prefix', async function () {
    await traffic();
    const text = await edge.metrics();
    assert.match(text, /^kong_http_requests_total\{service="users",route="users",workspace="default",code="200",source="service",consumer=""\} \d+/m);
    assert.match(text, /^kong_http_requests_total\{service="limited",route="limited",workspace="default",code="429",source="exit",consumer=""\} [1-9]/m);
    assert.match(text, /^kong_request_latency_ms_bucket\{service="users",route="users",workspace="default",le="\+Inf"\} \d+/m);
    assert.match(text, /^kong_bandwidth_bytes\{service="users",route="users",workspace="default",direction="egress",consumer=""\} [1-9]/m);
    assert.match(text, new RegExp(`^kong_upstream_target_health\\{upstream="upstream:flaky-lb",target="127.0.0.1:${web.port}",address="127.0.0.1:${web.port}",state="healthy",subsystem="http"\\} 1`, 'm'));
    assert.match(text, /^kong_datastore_reachable 1/m);
    assert.match(text, /^kong_node_info\{node_id="edge",version="[^"]+"\} 1/m);
    assert.match(text, /^meshgate_cache_lookups_total\{route="users",status="(Miss|Hit)"\} [1-9]/m);
    assert.match(text, /^meshgate_rate_limit_rejections_total\{route="limited"\} [1-9]/m);
    assert.match(text, /^meshgate_upstream_retries_total\{service="flaky",reason="MG_CONNECT_FAILED"\} [1-9]/m);
    assert.match(text, /^meshgate_process_resident_memory_bytes \d+/m);
    assert.doesNotMatch(text, /meshgate_process_process_/);
  });

  it('passes promtool check metrics (parsing; lint findings only on Kong\'s and prom-client\'s names)', async function () {
    const h = harness();
    const { promtool } = await prometheusBinaries();
    const file = h.writeFile('metrics.txt', await edge.metrics());
    const r = await runBounded('bash', ['-c', `"${promtool}" check metrics < "${file}"`], { timeoutMs: 30_000 });
    const findings = (r.stdout + r.stderr).split('\n').map((l) => l.trim()).filter(Boolean);
    // 0: clean; 3: lint findings only (1 would be a parse error)
    assert.ok(r.code === 0 || r.code === 3, `promtool exit ${r.code}:\n${findings.join('\n')}`);
    const others = findings.filter((f) => !FOREIGN_NAME_LINT.some((re) => re.test(f)));
    assert.deepEqual(others, [], `meshgate's own names are lint-clean:\n${others.join('\n')}`);
  });

  it('answers every query of the Grafana dashboard with data', async function () {
    const dash = JSON.parse(readFileSync(`${REPO}/deploy/grafana/meshgate-dashboard.json`, 'utf8')) as Dashboard;
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
    assert.ok(exprs.length >= 20);
    const empty = async () => {
      const out: string[] = [];
      for (const { panel, expr } of exprs) if ((await query(expr)).length === 0) out.push(`${panel}: ${expr}`);
      return out;
    };
    let missing: string[] = [];
    // rate() needs two scrapes of the traffic; keep some flowing while Prometheus catches up
    await waitFor(async () => { await traffic(); missing = await empty(); return missing.length === 0; }, { timeoutMs: 60_000, intervalMs: 1000, what: 'every dashboard query to return data' })
      .catch(() => assert.fail(`queries without data:\n${missing.join('\n')}`));
  });
});
