import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { RequestStats } from '../../../../agent/observe/request-stats.js';

describe('RequestStats', () => {
  it('counts by status and exports cumulative histogram buckets, sum and count', async () => {
    const stats = new RequestStats();
    const registry = new Registry();
    stats.register(registry);
    const r = stats.recorderFor('edge', 'users', 'users-svc');
    r.record(200, 0.4, 0.2);
    r.record(200, 7, 3);
    r.record(503, 20_000, -1);
    assert.equal(stats.recorderFor('edge', 'users', 'users-svc'), r, 'one recorder per route, kept');
    const text = await registry.metrics();
    const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix))?.split(' ').pop();
    assert.equal(line('meshgate_http_requests_total{role="edge",route="users",service="users-svc",status="200"}'), '2');
    assert.equal(line('meshgate_http_requests_total{role="edge",route="users",service="users-svc",status="503"}'), '1');
    assert.equal(line('meshgate_http_request_duration_seconds_bucket{role="edge",route="users",service="users-svc",le="0.0005"}'), '1');
    assert.equal(line('meshgate_http_request_duration_seconds_bucket{role="edge",route="users",service="users-svc",le="0.01"}'), '2');
    assert.equal(line('meshgate_http_request_duration_seconds_bucket{role="edge",route="users",service="users-svc",le="10"}'), '2');
    assert.equal(line('meshgate_http_request_duration_seconds_bucket{role="edge",route="users",service="users-svc",le="+Inf"}'), '3');
    assert.equal(line('meshgate_http_request_duration_seconds_count{role="edge",route="users",service="users-svc"}'), '3');
    assert.equal(line('meshgate_upstream_latency_seconds_count{role="edge",route="users",service="users-svc"}'), '2', 'no upstream time, no observation');
    assert.match(text, /# TYPE meshgate_http_request_duration_seconds histogram/);
  });
});
