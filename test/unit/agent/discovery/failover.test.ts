import assert from 'node:assert/strict';
import type { EndpointSpec } from '../../../../agent/discovery/catalog-to-endpoints.js';
import { chooseDatacenter, watchKeysFor, type WatchedEndpoints } from '../../../../agent/discovery/failover.js';

const ep = (key: string) => ({ key }) as unknown as EndpointSpec;
const w = (keys: string[], loaded = true): WatchedEndpoints => ({ endpoints: keys.map(ep), loaded });
const keysOf = (e: WatchedEndpoints) => e.endpoints.map((x) => x.key);

describe('datacenter failover: which datacenter serves', () => {
  const remote = (byDc: Record<string, WatchedEndpoints>) => (dc: string) => byDc[dc] ?? w([], false);
  const CASES: [string, WatchedEndpoints, Record<string, WatchedEndpoints>, string[], string | null, string[]][] = [
    ['local has members: local, whatever the others have', w(['a']), { dc2: w(['b']) }, ['dc2'], null, ['a']],
    ['local empty: the first datacenter in order with members', w([]), { dc2: w([]), dc3: w(['c']) }, ['dc2', 'dc3'], 'dc3', ['c']],
    ['order decides between two with members', w([]), { dc2: w(['b']), dc3: w(['c']) }, ['dc3', 'dc2'], 'dc3', ['c']],
    ['local empty and no other has any: local (empty)', w([]), { dc2: w([]) }, ['dc2'], null, []],
    ['no failover configured: local (empty)', w([]), { dc2: w(['b']) }, [], null, []],
    ['local not loaded yet (first answer pending): local, no failover', w([], false), { dc2: w(['b']) }, ['dc2'], null, []],
  ];
  for (const [name, local, byDc, order, dc, keys] of CASES) {
    it(name, () => {
      const c = chooseDatacenter(local, remote(byDc), order);
      assert.equal(c.datacenter, dc);
      assert.deepEqual(keysOf(c), keys);
    });
  }
});

describe('datacenter failover: members failing here count as gone', () => {
  const ejected = new Set(['a1', 'a2']);
  const usable = (e: EndpointSpec) => !ejected.has(e.key);
  it('every local member failing here: the failover datacenter serves, though Consul still lists them', () => {
    const c = chooseDatacenter(w(['a1', 'a2']), () => w(['b']), ['dc2'], usable);
    assert.equal(c.datacenter, 'dc2');
    assert.deepEqual(keysOf(c), ['b']);
    assert.equal(watchKeysFor({ service: 'u', mesh: true }, w(['a1', 'a2']), ['dc2'], usable).length, 2);
  });
  it('one local member still usable: local serves, and no other datacenter is watched', () => {
    assert.equal(chooseDatacenter(w(['a1', 'a3']), () => w(['b']), ['dc2'], usable).datacenter, null);
    assert.equal(watchKeysFor({ service: 'u', mesh: true }, w(['a1', 'a3']), ['dc2'], usable).length, 1);
  });
});

describe('datacenter failover: which datacenters are watched', () => {
  const local = { service: 'users', mesh: true };
  it('only the local datacenter while it has members, is not loaded, or no failover is set', () => {
    assert.deepEqual(watchKeysFor(local, w(['a']), ['dc2']), [local]);
    assert.deepEqual(watchKeysFor(local, w([], false), ['dc2']), [local]);
    assert.deepEqual(watchKeysFor(local, undefined, ['dc2']), [local]);
    assert.deepEqual(watchKeysFor(local, w([]), []), [local]);
  });
  it('every failover datacenter, in order, while the local one is loaded and empty', () => {
    assert.deepEqual(watchKeysFor(local, w([]), ['dc2', 'dc3']), [local, { ...local, dc: 'dc2' }, { ...local, dc: 'dc3' }]);
  });
});
