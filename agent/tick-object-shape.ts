// Keeps the shape of Node's process.nextTick queue entries alive for the life of the process.
//
// Node 20 makes every nextTick entry as `{ [async_id_symbol], [trigger_async_id_symbol], callback,
// args }`. V8 gives such a literal its map through transitions from one shared root map, and keeps
// a transition only while an object of its target map lives. Once the agent has loaded (the YAML
// and schema code, OpenTelemetry's constant tables...) the root map holds so many transitions that
// a lost one is not made again: from then on every tick entry gets a map of its own. Measured on a
// plain edge under load: the tick queue's property loads saw ~7,900 maps in 3 s (megamorphic), and
// nextTick was 5-7 % of the process's CPU (under 1 % on a build that loaded less code). Two entries
// made here, before any other module loads, keep that transition path alive: the loads stay
// monomorphic and nextTick drops out of the profile. bin/meshgate.js imports this module first.
import { AsyncResource } from 'node:async_hooks';

const resource = new AsyncResource('meshgate.tick-shape');
const symbols = Object.getOwnPropertySymbols(resource);
const asyncId = symbols.find((s) => s.description === 'async_id_symbol');
const triggerId = symbols.find((s) => s.description === 'trigger_async_id_symbol');
const held: object[] = [];
if (asyncId !== undefined && triggerId !== undefined) {
  const r = resource as unknown as Record<symbol, number>;
  // the same keys in the same order, with values of the same kinds, as Node's tickObject
  held.push({ [asyncId]: r[asyncId], [triggerId]: r[triggerId], callback: noop, args: undefined });
  held.push({ [asyncId]: r[asyncId], [triggerId]: r[triggerId], callback: noop, args: [0] });
}

function noop(): void { /* a callback-shaped value */ }

/** The held entries (empty when this Node names its async id symbols otherwise; test/unit/agent/tick-object-shape.test.ts). */
export const TICK_SHAPE_HELD: readonly object[] = held;
