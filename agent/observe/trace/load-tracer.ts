// The OpenTelemetry SDK is loaded only by an agent that traces. Loading it costs a plain edge about
// 15 % of its requests per core on Node 20, even with no span ever made: `node test/bench/run.mjs
// --base <checkout>` with both edges on one core measured 0.82-0.87x the same edge without it, and
// preloading `@opentelemetry/semantic-conventions`' CommonJS build (which `@opentelemetry/core`
// requires) into an edge that never imports OpenTelemetry reproduces the loss. So tracer.ts, the one
// module that imports the SDK at run time, is imported on first need and never by an untraced agent.
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
