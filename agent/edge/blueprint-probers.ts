// The active health probers of an edge's current blueprint: one per pool with active checks,
// probing that pool's members in the current table; all replaced when the blueprint is.
import { ActiveProber, type ProbeTarget } from '../pool/active-prober.js';
import type { EdgeBlueprint } from '../table/route-table.js';

export class BlueprintProbers {
  readonly #probers = new Map<string, ActiveProber>();
  #for: EdgeBlueprint | undefined;

  /** `members(pool)`: that pool's members in the table now (read on every probe round) */
  sync(bp: EdgeBlueprint, members: (pool: string) => readonly ProbeTarget[]): void {
    if (this.#for === bp) return;
    this.stop();
    this.#for = bp;
    for (const spec of bp.pools.values()) {
      if (spec.active === null) continue;
      const prober = new ActiveProber(spec.active, () => members(spec.name));
      this.#probers.set(spec.name, prober);
      prober.start();
    }
  }

  stop(): void {
    for (const p of this.#probers.values()) p.stop();
    this.#probers.clear();
  }
}
