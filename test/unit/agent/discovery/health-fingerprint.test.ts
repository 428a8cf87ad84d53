import assert from 'node:assert/strict';
import { fingerprintChecks, healthChanges, type ConsulCheck } from '../../../../agent/discovery/health-fingerprint.js';

// answers of /v1/health/state/any?filter=Status != "passing": only failing checks are listed
const check = (node: string, service: string, id: string, status: string): ConsulCheck =>
  ({ Node: node, CheckID: `check-${id}`, Status: status, ServiceID: id, ServiceName: service });
const nodeCheck = (node: string, status: string, id = 'serfHealth'): ConsulCheck => ({ Node: node, CheckID: id, Status: status, ServiceID: '', ServiceName: '' });

const BASE: readonly ConsulCheck[] = [check('n1', 'web', 'web-1', 'critical'), check('n2', 'db', 'db-1', 'warning'), nodeCheck('n3', 'critical')];

describe('healthChanges (which watched services to fetch after the failing checks changed)', () => {
  const ROWS: readonly [string, readonly ConsulCheck[], string[], string[]][] = [
    ['nothing changed', BASE, [], []],
    ['the same checks in another order', [...BASE].reverse(), [], []],
    ['an instance turns critical', [...BASE, check('n2', 'web', 'web-2', 'critical')], ['web'], []],
    ['a critical instance passes again', BASE.filter((c) => c.ServiceID !== 'web-1'), ['web'], []],
    ['warning to critical', BASE.map((c) => (c.ServiceID === 'db-1' ? { ...c, Status: 'critical' } : c)), ['db'], []],
    ['a second failing check of the same instance', [...BASE, { ...check('n1', 'web', 'web-1', 'critical'), CheckID: 'other' }], ['web'], []],
    ['a node check failing names the node, not services', [...BASE, nodeCheck('n1', 'critical')], [], ['n1']],
    ['a node leaving maintenance', [...BASE, nodeCheck('n3', 'critical', '_node_maintenance')].filter((c) => c.CheckID !== 'serfHealth'), [], ['n3']],
    ['the check output alone is not a change', BASE.map((c) => ({ ...c, Output: 'timeout' } as ConsulCheck)), [], []],
  ];
  const before = fingerprintChecks(BASE);
  for (const [name, next, services, nodes] of ROWS) {
    it(name, () => {
      const d = healthChanges(before, fingerprintChecks(next));
      assert.deepEqual({ services: [...d.services].sort(), nodes: [...d.nodes].sort() }, { services, nodes });
    });
  }
  it('from nothing, every failing service and node is new', () => {
    const d = healthChanges(fingerprintChecks([]), before);
    assert.deepEqual([[...d.services].sort(), [...d.nodes]], [['db', 'web'], ['n3']]);
  });
});
