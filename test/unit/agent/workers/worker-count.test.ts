import assert from 'node:assert/strict';
import { resolveWorkers } from '../../../../agent/workers/worker-count.js';
import type { MeshgateConfig } from '../../../../proto/config-schema.js';

const edge = { edge: { kong: { _format_version: '3.0' } } } as unknown as MeshgateConfig;
const sidecar = { sidecar: { services: [] } } as unknown as MeshgateConfig;
const withAgent = (cfg: MeshgateConfig, workers: number | 'auto') => ({ ...cfg, agent: { workers } }) as MeshgateConfig;

describe('worker count', () => {
  const cases: { name: string; flag: string | undefined; cfg: MeshgateConfig; want: number | RegExp }[] = [
    { name: 'default: one process', flag: undefined, cfg: edge, want: 1 },
    { name: 'agent.workers', flag: undefined, cfg: withAgent(edge, 3), want: 3 },
    { name: 'auto: one per core', flag: undefined, cfg: withAgent(edge, 'auto'), want: 4 },
    { name: 'the flag wins over the file', flag: '2', cfg: withAgent(edge, 3), want: 2 },
    { name: '--workers auto', flag: 'auto', cfg: edge, want: 4 },
    { name: '--workers 0 is refused', flag: '0', cfg: edge, want: /--workers: must be a number from 1 to 256, or auto/ },
    { name: '--workers 1.5 is refused', flag: '1.5', cfg: edge, want: /--workers/ },
    { name: '--workers 999 is refused', flag: '999', cfg: edge, want: /--workers/ },
    { name: 'a sidecar with --workers 2 is refused naming agent.workers', flag: '2', cfg: sidecar, want: /sidecar section \(agent\.workers\)/ },
    { name: 'a sidecar with --workers auto is refused', flag: 'auto', cfg: sidecar, want: /sidecar/ },
    { name: 'a sidecar with --workers 1 runs', flag: '1', cfg: sidecar, want: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = resolveWorkers(c.flag, c.cfg, 4);
      if (typeof c.want === 'number') assert.equal(got, c.want); else assert.match(String(got), c.want);
    });
  }
});
