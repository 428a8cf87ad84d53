import assert from 'node:assert/strict';
import { catalogToEndpoints, hostPortKey, type ConsulHealthEntry } from '../../../../agent/discovery/catalog-to-endpoints.js';

const passing = [{ Status: 'passing' }, { Status: 'passing' }];

function entry(id: string, service: NonNullable<ConsulHealthEntry['Service']>, node = { Node: 'n1', Address: '10.0.0.1' }, checks = passing): ConsulHealthEntry {
  return { Node: node, Service: { ID: id, Service: 'users', ...service }, Checks: checks };
}

describe('hostPortKey', () => {
  it('brackets IPv6 hosts', () => {
    assert.equal(hostPortKey('10.0.0.1', 80), '10.0.0.1:80');
    assert.equal(hostPortKey('::1', 80), '[::1]:80');
    assert.equal(hostPortKey('users.local', 8080), 'users.local:8080');
  });
});

describe('catalogToEndpoints', () => {
  it('translates a plain service entry', () => {
    const t = catalogToEndpoints([entry('users-1', { Address: '10.0.0.5', Port: 8080, Weights: { Passing: 3, Warning: 1 } })]);
    assert.deepEqual(t, {
      endpoints: [{ address: '10.0.0.5:8080', key: '10.0.0.5:8080/users-1', host: '10.0.0.5', port: 8080, weight: 3, instanceId: 'users-1', node: 'n1' }],
      skipped: [],
    });
  });

  it('falls back to Node.Address when Service.Address is empty or missing', () => {
    const t = catalogToEndpoints([
      entry('a', { Address: '', Port: 1 }, { Node: 'n1', Address: '10.0.0.1' }),
      entry('b', { Port: 2 }, { Node: 'n2', Address: '10.0.0.2' }),
    ]);
    assert.deepEqual(t.endpoints.map((e) => [e.address, e.node]), [['10.0.0.1:1', 'n1'], ['10.0.0.2:2', 'n2']]);
  });

  it('uses Proxy.DestinationServiceID as the instance of a connect-proxy', () => {
    const t = catalogToEndpoints([entry('users-1-sidecar-proxy', {
      Kind: 'connect-proxy', Address: '10.0.0.5', Port: 21000,
      Proxy: { DestinationServiceID: 'users-1', DestinationServiceName: 'users' },
    })]);
    assert.equal(t.endpoints[0]!.instanceId, 'users-1');
    assert.equal(t.endpoints[0]!.key, '10.0.0.5:21000/users-1');
  });

  it('uses the entry ID when a connect-proxy has no destination id', () => {
    const t = catalogToEndpoints([entry('px', { Kind: 'connect-proxy', Address: '10.0.0.5', Port: 21000 })]);
    assert.equal(t.endpoints[0]!.instanceId, 'px');
  });

  it('does not read Proxy of a non-proxy entry', () => {
    const t = catalogToEndpoints([entry('svc', { Address: '10.0.0.5', Port: 1, Proxy: { DestinationServiceID: 'other' } })]);
    assert.equal(t.endpoints[0]!.instanceId, 'svc');
  });

  it('gives two instances behind one sidecar address distinct keys', () => {
    const t = catalogToEndpoints([
      entry('a-proxy', { Kind: 'connect-proxy', Address: '10.0.0.5', Port: 21000, Proxy: { DestinationServiceID: 'users-a' } }),
      entry('b-proxy', { Kind: 'connect-proxy', Address: '10.0.0.5', Port: 21000, Proxy: { DestinationServiceID: 'users-b' } }),
    ]);
    assert.equal(t.endpoints.length, 2);
    assert.deepEqual(t.endpoints.map((e) => e.address), ['10.0.0.5:21000', '10.0.0.5:21000']);
    assert.deepEqual(t.endpoints.map((e) => e.key), ['10.0.0.5:21000/users-a', '10.0.0.5:21000/users-b']);
  });

  const WEIGHTS: readonly [string, NonNullable<ConsulHealthEntry['Service']>['Weights'], number][] = [
    ['Weights.Passing', { Passing: 7, Warning: 1 }, 7],
    ['no Weights → 1', undefined, 1],
    ['Weights without Passing → 1', { Warning: 3 }, 1],
    ['negative → 0', { Passing: -4 }, 0],
  ];
  for (const [name, weights, want] of WEIGHTS) {
    it(`weight: ${name}`, () => {
      const t = catalogToEndpoints([entry('a', { Address: '10.0.0.1', Port: 1, ...(weights ? { Weights: weights } : {}) })]);
      assert.equal(t.endpoints[0]!.weight, want);
    });
  }

  const UNUSABLE: readonly [string, ConsulHealthEntry][] = [
    ['no port', { Node: { Address: '10.0.0.1' }, Service: { ID: 'p0', Address: '10.0.0.1' }, Checks: passing }],
    ['port 0', { Node: { Address: '10.0.0.1' }, Service: { ID: 'p0', Port: 0 }, Checks: passing }],
    ['port above 65535', { Node: { Address: '10.0.0.1' }, Service: { ID: 'p0', Port: 70000 }, Checks: passing }],
    ['fractional port', { Node: { Address: '10.0.0.1' }, Service: { ID: 'p0', Port: 80.5 }, Checks: passing }],
    ['no address anywhere', { Node: { Address: '' }, Service: { ID: 'p0', Port: 80 }, Checks: passing }],
  ];
  for (const [name, bad] of UNUSABLE) {
    it(`skips and reports an entry with ${name}, keeping the rest`, () => {
      const t = catalogToEndpoints([bad, entry('ok', { Address: '10.0.0.9', Port: 9 })]);
      assert.deepEqual(t.endpoints.map((e) => e.instanceId), ['ok']);
      assert.deepEqual(t.skipped, ['p0: no usable address']);
    });
  }

  it('reports an entry without Service as "?"', () => {
    const t = catalogToEndpoints([{ Node: { Address: '10.0.0.1' } }]);
    assert.deepEqual(t, { endpoints: [], skipped: ['?: no usable address'] });
  });

  for (const status of ['warning', 'critical', 'maintenance', undefined]) {
    it(`excludes an entry with a ${String(status)} check (not reported as skipped)`, () => {
      const t = catalogToEndpoints([
        entry('bad', { Address: '10.0.0.1', Port: 1 }, undefined, [{ Status: 'passing' }, { Status: status as string }]),
        entry('good', { Address: '10.0.0.2', Port: 2 }),
      ]);
      assert.deepEqual(t.endpoints.map((e) => e.instanceId), ['good']);
      assert.deepEqual(t.skipped, []);
    });
  }

  it('keeps an entry that has no checks', () => {
    const t = catalogToEndpoints([{ Node: { Address: '10.0.0.1' }, Service: { ID: 'x', Port: 1 } }]);
    assert.equal(t.endpoints.length, 1);
    assert.equal(t.endpoints[0]!.node, '');
  });

  it('drops duplicates of the same address and instance', () => {
    const e = entry('a', { Address: '10.0.0.1', Port: 1 });
    const t = catalogToEndpoints([e, e, entry('a', { Address: '10.0.0.1', Port: 1, Weights: { Passing: 9 } })]);
    assert.equal(t.endpoints.length, 1);
    assert.equal(t.endpoints[0]!.weight, 1, 'the first one wins');
  });

  it('sorts endpoints by key, whatever the input order', () => {
    const entries = [
      entry('c', { Address: '10.0.0.3', Port: 80 }),
      entry('a', { Address: '10.0.0.1', Port: 80 }),
      entry('b2', { Address: '10.0.0.2', Port: 80 }),
      entry('b1', { Address: '10.0.0.2', Port: 80 }),
    ];
    const want = ['10.0.0.1:80/a', '10.0.0.2:80/b1', '10.0.0.2:80/b2', '10.0.0.3:80/c'];
    assert.deepEqual(catalogToEndpoints(entries).endpoints.map((e) => e.key), want);
    assert.deepEqual(catalogToEndpoints([...entries].reverse()).endpoints.map((e) => e.key), want);
  });

  it('brackets an IPv6 address', () => {
    const t = catalogToEndpoints([entry('v6', { Address: 'fd00::5', Port: 8080 })]);
    assert.equal(t.endpoints[0]!.address, '[fd00::5]:8080');
    assert.equal(t.endpoints[0]!.host, 'fd00::5');
  });
});
