import assert from 'node:assert/strict';
import { planUpstreams, type UpstreamSpec } from '../../../../agent/sidecar/upstream-plan.js';

const A: UpstreamSpec = { service: 'orders', listen: '127.0.0.1:9001' };
const B: UpstreamSpec = { service: 'users', listen: '127.0.0.1:9002' };
const A_MOVED: UpstreamSpec = { service: 'orders', listen: '127.0.0.1:9003' };

describe('planUpstreams', () => {
  const ROWS: readonly { name: string; running: UpstreamSpec[]; next: UpstreamSpec[]; keep: number[]; kept: [number, number][]; open: number[] }[] = [
    { name: 'nothing changed', running: [A, B], next: [A, B], keep: [0, 1], kept: [[0, 0], [1, 1]], open: [] },
    { name: 'reordered: both kept', running: [A, B], next: [B, A], keep: [0, 1], kept: [[0, 1], [1, 0]], open: [] },
    { name: 'one added', running: [A], next: [A, B], keep: [0], kept: [[0, 0]], open: [1] },
    { name: 'one removed', running: [A, B], next: [B], keep: [1], kept: [[0, 1]], open: [] },
    { name: 'a new listen address is a new port (and the old one closes)', running: [A, B], next: [A_MOVED, B], keep: [1], kept: [[1, 1]], open: [0] },
    { name: 'all removed', running: [A, B], next: [], keep: [], kept: [], open: [] },
    { name: 'from none', running: [], next: [A], keep: [], kept: [], open: [0] },
  ];
  for (const row of ROWS) {
    it(row.name, () => {
      const plan = planUpstreams(row.running, row.next);
      assert.deepEqual(plan.keep, row.keep);
      assert.deepEqual([...plan.kept], row.kept);
      assert.deepEqual(plan.open, row.open);
    });
  }
});
