import assert from 'node:assert/strict';
import type { MeshgateConfig } from '../../../../proto/config-schema.js';
import { RESTART_SECTIONS, sectionsNeedingRestart, WORKERS_RESTART_SECTIONS } from '../../../../agent/config/reload-scope.js';

const BASE: MeshgateConfig = {
  consul: { address: 'http://127.0.0.1:8500' },
  edge: { listen: '127.0.0.1:8000', limits: { max_connections: 10 }, trusted_proxies: ['10.0.0.0/8'], kong: { _format_version: '3.0' } },
};

describe('sectionsNeedingRestart', () => {
  const ROWS: readonly { name: string; next: MeshgateConfig; want: string[] }[] = [
    { name: 'nothing changed', next: BASE, want: [] },
    { name: 'only the Kong routes changed (reloaded in place)', next: { ...BASE, edge: { ...BASE.edge!, kong: { _format_version: '3.0', services: [] } } }, want: [] },
    { name: 'via_sidecars changed (reloaded in place)', next: { ...BASE, edge: { ...BASE.edge!, via_sidecars: false } }, want: [] },
    { name: 'edge certificates changed (reloaded in place)', next: { ...BASE, edge: { ...BASE.edge!, tls: { certificates: [{ cert_file: 'a.pem', key_file: 'a.key' }] } } }, want: [] },
    { name: 'listen_tls changed (re-bound in place)', next: { ...BASE, edge: { ...BASE.edge!, listen_tls: '127.0.0.1:8443' } }, want: [] },
    { name: 'limits changed (reloaded in place)', next: { ...BASE, edge: { ...BASE.edge!, limits: { max_connections: 20 } } }, want: [] },
    { name: 'trusted_proxies and listen changed (both applied in place)', next: { ...BASE, edge: { ...BASE.edge!, listen: '127.0.0.1:8001', trusted_proxies: [] } }, want: [] },
    { name: 'http2 enabled and h2c changed (reloaded in place)', next: { ...BASE, edge: { ...BASE.edge!, http2: { enabled: false, h2c: true } } }, want: [] },
    { name: 'http2 limits changed (reloaded in place)', next: { ...BASE, edge: { ...BASE.edge!, http2: { max_concurrent_streams: 10, rapid_reset_window: '5s' } } }, want: [] },
    { name: 'consul token added (reloaded in place)', next: { ...BASE, consul: { address: 'http://127.0.0.1:8500', token: 't' } }, want: [] },
    { name: 'consul address and datacenter changed (reloaded in place)', next: { ...BASE, consul: { address: 'http://127.0.0.1:8501', datacenter: 'dc2' } }, want: [] },
    { name: 'consul pool_guard and failover_datacenters added (reloaded in place)', next: { ...BASE, consul: { ...BASE.consul, pool_guard: { max_shrink_fraction: 0.5, hold: '30s' }, failover_datacenters: ['dc2'] } }, want: [] },
    { name: 'mesh min_tls_version and default_intention_policy (reloaded in place)', next: { ...BASE, mesh: { min_tls_version: '1.2', default_intention_policy: 'deny' } }, want: [] },
    { name: 'mesh tls and authorize changed (authorize reloaded in place)', next: { ...BASE, mesh: { tls: 'disabled', authorize: false } }, want: ['mesh.tls'] },
    { name: 'the agent section changed', next: { ...BASE, agent: { log_level: 'debug' } }, want: ['agent'] },
    { name: 'a sidecar section added (a new role)', next: { ...BASE, sidecar: { listen: '127.0.0.1:0', services: [{ name: 'a', port: 1 }] } }, want: ['sidecar'] },
    { name: 'the edge section removed (a role gone)', next: { consul: BASE.consul }, want: ['edge'] },
  ];
  for (const row of ROWS) it(row.name, () => assert.deepEqual(sectionsNeedingRestart(BASE, row.next), row.want));
  it('with workers, a changed listen address needs a restart', () => {
    assert.deepEqual(sectionsNeedingRestart(BASE, { ...BASE, edge: { ...BASE.edge!, listen: '127.0.0.1:8001' } }, WORKERS_RESTART_SECTIONS), ['edge.listen']);
  });
  it('a sidecar\'s upstreams, services, listen and advertise changed (all reloaded in place)', () => {
    const sidecar = { listen: '127.0.0.1:0', services: [{ name: 'a', port: 1 }], upstreams: [{ service: 'b', listen: '127.0.0.1:9001' }] };
    const running: MeshgateConfig = { ...BASE, sidecar };
    assert.deepEqual(sectionsNeedingRestart(running, { ...BASE, sidecar: { ...sidecar, upstreams: [] } }), []);
    assert.deepEqual(sectionsNeedingRestart(running, { ...BASE, sidecar: { ...sidecar, services: [{ name: 'a', port: 2 }] } }), []);
    assert.deepEqual(sectionsNeedingRestart(running, { ...BASE, sidecar: { ...sidecar, listen: '127.0.0.1:1', advertise: '10.0.0.1' } }), []);
  });
});

describe('RESTART_SECTIONS', () => {
  it('is every section of the schema but the ones a reload swaps in place', () => {
    assert.deepEqual(RESTART_SECTIONS, ['agent', 'mesh.tls']);
  });
});
