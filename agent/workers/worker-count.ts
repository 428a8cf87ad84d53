// How many processes serve an agent: `--workers` over `agent.workers`, default 1 (one process,
// no primary). "auto" is one per core the OS gives this process.
import os from 'node:os';
import type { MeshgateConfig } from '../../proto/config-schema.js';

export const MAX_WORKERS = 256;

/** The worker count, or an error message naming the flag (exit 2 at the caller). */
export function resolveWorkers(flag: string | undefined, cfg: MeshgateConfig, cores: number = os.availableParallelism()): number | string {
  let wanted: number | 'auto' = cfg.agent?.workers ?? 1;
  if (flag !== undefined) {
    if (flag === 'auto') wanted = 'auto';
    else if (/^[0-9]{1,3}$/.test(flag) && Number(flag) >= 1 && Number(flag) <= MAX_WORKERS) wanted = Number(flag);
    else return `--workers: must be a number from 1 to ${MAX_WORKERS}, or auto`;
  }
  // a sidecar's registrations, mesh listener and local upstream ports are one process's today
  if (cfg.sidecar && wanted !== 1) return `--workers: must be 1 for an agent with a sidecar section (agent.workers); workers are for an edge-only agent`;
  return wanted === 'auto' ? Math.max(1, Math.min(MAX_WORKERS, cores)) : wanted;
}
