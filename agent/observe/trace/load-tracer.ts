// The OpenTelemetry SDK is loaded only by an agent that traces. An untraced agent never pays for
// it: no memory for its modules, no start-up time, and none of the short-lived constant objects its
// CommonJS semantic-conventions tables make at load (those fill V8's shared root-map transitions
// the way agent/startup-heap.ts describes; a plain edge that preloaded that module served 0.82x the
// requests per core of one that did not, measured side by side on one core). tracer.ts, the one
// module that imports the SDK at run time, is imported on first need.
import type * as TracerModule from './tracer.js';

let loaded: typeof TracerModule | null = null;
let loading: Promise<typeof TracerModule> | null = null;

/** The tracer module once loaded; null before (and forever in an agent that never traces). */
export function tracerModule(): typeof TracerModule | null { return loaded; }

/** Loads the tracer module (once); resolves to it. */
export function loadTracerModule(): Promise<typeof TracerModule> {
  loading ??= import('./tracer.js').then((m) => { loaded = m; return m; });
  return loading;
}
