// One full garbage collection once the config is compiled (at start and after a reload).
//
// V8 shares one root map among all objects made as `{}`, and gives each first property added to
// such an object a transition from it, up to 1,536; past that, an object whose first property has
// no transition yet gets a map of its own, and every later object of that shape too. Compiling
// schemas at run time (plugin configs' schemas; the config schemas in a build without the generated
// validators of agent/config/config-validators.ts) with Ajv (its code generator keys thousands
// of short-lived `{}` objects by generated names: `_errs569`, `data39`...) fills the table with transitions to dead maps, and only a full
// collection clears them; under load one may not come for a long time. Meanwhile Node's request
// headers objects and nextTick entries each got a map of their own (~1,600 maps per 1,500 requests
// at one header-lookup site, measured with --log-ic) and the edge served 13-17 % fewer requests per
// core (shared-core runs against a build that compiled less at start). After this collection the
// table held 172 transitions. agent/tick-object-shape.ts keeps the nextTick shape besides.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Logger } from 'pino';

type Gc = () => void;

function fullGc(): Gc | null {
  const exposed = (globalThis as { gc?: Gc }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    // a context made while --expose-gc is set has `gc`; the flag is unset again at once
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as Gc;
    setFlagsFromString('--no-expose-gc');
    return typeof gc === 'function' ? gc : null;
  } catch { return null; }
}

/** Collects the start-up (or reload) garbage once; logs how long it took. */
export function settleHeap(log: Logger): void {
  const gc = fullGc();
  if (gc === null) { log.warn('no full garbage collection available; per-request shapes may stay slow until V8 runs one'); return; }
  const t0 = performance.now();
  gc();
  log.debug({ ms: Math.round(performance.now() - t0) }, 'heap settled after config compile');
}
