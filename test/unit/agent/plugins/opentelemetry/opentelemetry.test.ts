import assert from 'node:assert/strict';
import { resolvePlugins } from '../../../../../agent/plugins/plugin-config.js';
import { tracingFromKong, type OpenTelemetryConfig } from '../../../../../agent/plugins/opentelemetry/opentelemetry.js';
import type { KongDeclarative } from '../../../../../proto/config-schema.js';

function issues(plugin: Record<string, unknown>, extra: Partial<KongDeclarative> = {}): string[] {
  const kong = { _format_version: '3.0', services: [{ name: 's', url: 'http://x', routes: [{ name: 'r', paths: ['/'] }] }], plugins: [plugin], ...extra } as unknown as KongDeclarative;
  return resolvePlugins(kong, ['edge', 'kong']).issues.map((i) => `${i.path}: ${i.message}`);
}

describe('Kong opentelemetry plugin config', () => {
  const ep = 'http://127.0.0.1:4318/v1/traces';
  const ROWS: readonly [string, Record<string, unknown>, RegExp | null][] = [
    ['minimal', { traces_endpoint: ep }, null],
    ['deck dump defaults are accepted', { traces_endpoint: ep, connect_timeout: 1000, read_timeout: 5000, batch_span_count: null, logs_endpoint: null, queue: { max_retry_time: 60, concurrency_limit: 1 } }, null],
    ['the deprecated endpoint alias', { endpoint: ep }, null],
    ['no endpoint', {}, /config\.traces_endpoint: is required/],
    ['connect_timeout not implemented', { traces_endpoint: ep, connect_timeout: 200 }, /config\.connect_timeout: not implemented by meshgate/],
    ['logs_endpoint not implemented', { traces_endpoint: ep, logs_endpoint: 'http://x/v1/logs' }, /config\.logs_endpoint: not implemented/],
    ['queue.max_bytes not implemented', { traces_endpoint: ep, queue: { max_bytes: 100 } }, /config\.queue\.max_bytes: not implemented/],
    ['b3 injection refused', { traces_endpoint: ep, header_type: 'b3' }, /config\.header_type: meshgate injects W3C/],
    ['unknown field', { traces_endpoint: ep, sampler: 'x' }, /config\.sampler: unknown field/],
    ['propagation.clear refused', { traces_endpoint: ep, propagation: { clear: ['x-foo'] } }, /config\.propagation\.clear/],
    ['sampling_rate range', { traces_endpoint: ep, sampling_rate: 2 }, /config\.sampling_rate/],
  ];
  for (const [title, config, want] of ROWS) {
    it(title, () => {
      const got = issues({ name: 'opentelemetry', config });
      if (want === null) assert.deepEqual(got, []);
      else assert.ok(got.some((g) => want.test(g)), got.join('\n'));
    });
  }

  it('only a global entry: a route-scoped one is refused naming its path', () => {
    const kong = { _format_version: '3.0', services: [{ name: 's', url: 'http://x', routes: [{ name: 'r', paths: ['/'], plugins: [{ name: 'opentelemetry', config: { traces_endpoint: ep } }] }] }] } as unknown as KongDeclarative;
    const got = resolvePlugins(kong, ['edge', 'kong']).issues.map((i) => `${i.path}: ${i.message}`);
    assert.ok(got.some((g) => /^edge\.kong\.services\[0\]\.routes\[0\]\.plugins\[0\]: the opentelemetry plugin applies to the whole agent/.test(g)), got.join('\n'));
  });

  it('maps onto the tracing settings', () => {
    const s = tracingFromKong({
      traces_endpoint: ep, headers: { Authorization: 'Bearer x' }, resource_attributes: { 'service.name': 'gw' }, sampling_rate: 0.01,
      http_response_header_for_traceid: 'X-Trace', propagation: { extract: ['w3c', 'b3'] }, queue: { max_entries: 50, max_batch_size: 10, max_coalescing_delay: 0.5 }, send_timeout: 700,
    } as OpenTelemetryConfig);
    assert.deepEqual(s, {
      endpoint: ep, headers: { Authorization: 'Bearer x' }, resourceAttributes: { 'service.name': 'gw' }, samplingRatio: 0.01, trustClientSampling: 'trusted_proxies',
      responseHeader: 'X-Trace', extractB3: true, maxQueueEntries: 50, maxBatchSize: 10, batchDelayMs: 500, sendTimeoutMs: 700,
    });
  });
});
