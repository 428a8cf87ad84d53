import assert from 'node:assert/strict';
import { Counter, Gauge, Registry } from 'prom-client';
import { aggregateAgentMetrics, requestsOf } from '../../../../agent/workers/agent-metrics.js';
import { RequestStats } from '../../../../agent/observe/request-stats.js';

async function workerMetrics(requests: number, poolSize: number) {
  const registry = new Registry();
  const stats = new RequestStats();
  stats.register(registry);
  const rec = stats.recorderFor('edge', 'web', 'web');
  for (let i = 0; i < requests; i++) rec.record(200, 1, 1);
  new Gauge({ name: 'meshgate_pool_endpoints', help: 'h', labelNames: ['service', 'state'], registers: [registry] }).labels('web', 'total').set(poolSize);
  new Counter({ name: 'meshgate_endpoint_ejections_total', help: 'h', registers: [registry] }).inc(1);
  return registry.getMetricsAsJSON();
}

describe('the agent\'s metrics from its workers', () => {
  it('adds up counters and histograms, takes the largest of per-worker copies of one gauge, labels requests per worker', async () => {
    const primary = await new Registry().getMetricsAsJSON();
    const w0 = await workerMetrics(3, 2);
    const w1 = await workerMetrics(5, 2);
    assert.equal(requestsOf(w0), 3);
    const text = await aggregateAgentMetrics(primary, [[0, w0], [1, w1]]).metrics();
    assert.match(text, /meshgate_http_requests_total\{role="edge",route="web",service="web",status="200"\} 8\n/);
    assert.match(text, /meshgate_http_request_duration_seconds_count\{role="edge",route="web",service="web"\} 8\n/);
    assert.match(text, /meshgate_endpoint_ejections_total 2\n/);
    assert.match(text, /meshgate_pool_endpoints\{service="web",state="total"\} 2\n/);
    assert.match(text, /meshgate_worker_requests_total\{worker="0"\} 3\n/);
    assert.match(text, /meshgate_worker_requests_total\{worker="1"\} 5\n/);
  });
});
