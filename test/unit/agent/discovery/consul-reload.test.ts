import assert from 'node:assert/strict';
import type { MeshgateConfig } from '../../../../proto/config-schema.js';
import { consulSettings, planConsulReload } from '../../../../agent/discovery/consul-reload.js';

const BASE: MeshgateConfig = { consul: { address: 'http://127.0.0.1:8500', token: 'a', datacenter: 'dc1' } };

describe('consulSettings', () => {
  it('takes the file\'s address, token, token_file and datacenter', () => {
    assert.deepEqual(consulSettings(BASE, undefined), { address: 'http://127.0.0.1:8500', token: 'a', tokenFile: undefined, datacenter: 'dc1' });
  });
  it('the command line\'s --consul wins over the file, a trailing slash is not a change, no section is the default agent', () => {
    assert.equal(consulSettings(BASE, 'http://10.0.0.1:8500/').address, 'http://10.0.0.1:8500');
    assert.equal(consulSettings({}, undefined).address, 'http://127.0.0.1:8500');
  });
});

describe('planConsulReload', () => {
  const ROWS: readonly { name: string; next: MeshgateConfig; override?: string; want: ReturnType<typeof planConsulReload> }[] = [
    { name: 'nothing changed', next: BASE, want: { kind: 'keep' } },
    { name: 'only pool_guard changed (not a re-point)', next: { consul: { ...BASE.consul, pool_guard: { max_shrink_fraction: 0.5, hold: '1m' } } }, want: { kind: 'keep' } },
    { name: 'a trailing slash', next: { consul: { ...BASE.consul, address: 'http://127.0.0.1:8500/' } }, want: { kind: 'keep' } },
    { name: 'the token changed', next: { consul: { ...BASE.consul, token: 'b' } }, want: { kind: 'repoint', agentChanged: false } },
    { name: 'token → token_file', next: { consul: { address: 'http://127.0.0.1:8500', token_file: '/run/t', datacenter: 'dc1' } }, want: { kind: 'repoint', agentChanged: false } },
    { name: 'the datacenter changed', next: { consul: { ...BASE.consul, datacenter: 'dc2' } }, want: { kind: 'repoint', agentChanged: false } },
    { name: 'the address changed', next: { consul: { ...BASE.consul, address: 'http://127.0.0.1:8501' } }, want: { kind: 'repoint', agentChanged: true } },
    { name: 'the address changed under a --consul override', next: { consul: { ...BASE.consul, address: 'http://127.0.0.1:8501' } }, override: 'http://127.0.0.1:8500', want: { kind: 'keep' } },
  ];
  for (const row of ROWS) {
    it(row.name, () => assert.deepEqual(planConsulReload(consulSettings(BASE, row.override), consulSettings(row.next, row.override)), row.want));
  }
});
