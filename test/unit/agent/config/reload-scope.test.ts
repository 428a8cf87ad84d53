import assert from 'node:assert/strict';
import type { MeshgateConfig } from '../../../../proto/config-schema.js';
import { RESTART_SECTIONS, sectionsNeedingRestart } from '../../../../agent/config/reload-scope.js';

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
    { name: 'listen_tls changed', next: { ...BASE, edge: { ...BASE.edge!, listen_tls: '127.0.0.1:8443' } }, want: ['edge.listen_tls'] },
    { name: 'limits changed', next: { ...BASE, edge: { ...BASE.edge!, limits: { max_connections: 20 } } }, want: ['edge.limits'] },
    { name: 'trusted_proxies (applied in place) and listen changed', next: { ...BASE, edge: { ...BASE.edge!, listen: '127.0.0.1:8001', trusted_proxies: [] } }, want: ['edge.listen'] },
    { name: 'consul token added', next: { ...BASE, consul: { address: 'http://127.0.0.1:8500', token: 't' } }, want: ['consul'] },
    { name: 'a mesh section added', next: { ...BASE, mesh: { min_tls_version: '1.2' } }, want: ['mesh'] },
    { name: 'the agent section changed', next: { ...BASE, agent: { log_level: 'debug' } }, want: ['agent'] },
    { name: 'a sidecar section added', next: { ...BASE, sidecar: { listen: '127.0.0.1:0', services: [{ name: 'a', port: 1 }] } }, want: ['sidecar'] },
  ];
  for (const row of ROWS) it(row.name, () => assert.deepEqual(sectionsNeedingRestart(BASE, row.next), row.want));
});

describe('RESTART_SECTIONS', () => {
  it('is every section of the schema but the five a reload swaps in place', () => {
    assert.deepEqual(RESTART_SECTIONS, ['consul', 'agent', 'mesh', 'sidecar', 'edge.listen', 'edge.listen_tls', 'edge.http2', 'edge.limits']);
  });
});
