import assert from 'node:assert/strict';
import { unionOfWants } from '../../../../agent/workers/pool-hub.js';
import { watchName } from '../../../../agent/discovery/service-discovery.js';

describe('the primary watches the union of what its workers need', () => {
  const cases: { name: string; wants: { service: string; mesh: boolean; dc?: string }[][]; want: string[] }[] = [
    { name: 'nothing wanted', wants: [], want: [] },
    { name: 'the same service from every worker is watched once', wants: [[{ service: 'users', mesh: true }], [{ service: 'users', mesh: true }]], want: ['connect/users'] },
    { name: 'a worker mid-reload adds its new service', wants: [[{ service: 'users', mesh: true }], [{ service: 'users', mesh: true }, { service: 'orders', mesh: true }]], want: ['connect/orders', 'connect/users'] },
    { name: 'a failover datacenter\'s watch keeps its datacenter', wants: [[{ service: 'users', mesh: true }, { service: 'users', mesh: true, dc: 'dc2' }]], want: ['connect/users', 'connect/users@dc2'] },
    { name: 'the same service with and without the mesh are two watches', wants: [[{ service: 'a', mesh: true }, { service: 'a', mesh: false }]], want: ['connect/a', 'service/a'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(unionOfWants(c.wants).map(watchName), c.want);
    });
  }
});
