import assert from 'node:assert/strict';
import { parseConfig } from '../../../../agent/config/load.js';
import { upstreamDeclarative } from '../../../../agent/edge/start-edge.js';

describe('a local upstream port\'s decK document', () => {
  it('passes the same validation as a user\'s decK file (Kong\'s gRPC route rules included)', () => {
    assert.doesNotThrow(() => parseConfig(JSON.stringify(upstreamDeclarative('orders')), 'upstream.json', {}));
  });

  it('has an HTTP route and a gRPC route for the same Consul service', () => {
    const services = upstreamDeclarative('orders').services ?? [];
    assert.deepEqual(services.map((s) => [s.protocol ?? 'http', s.host ?? new URL(s.url!).hostname, s.routes?.[0]?.protocols ?? null]), [
      ['http', 'orders', null], ['grpc', 'orders', ['grpc']],
    ]);
  });
});
