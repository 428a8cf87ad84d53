// Running a route's plugins: the access phase in priority order (synchronous until a plugin
// returns a promise), switching to a consumer's chain once one is authenticated; then the
// response phases over whatever chain was active.
import type { RequestContext } from './context.js';
import type { PluginChain } from './chain.js';
import type { BodyTap, PluginInstance, ShortCircuit } from './plugin.js';
import { FlatHeaderList } from './header-list.js';

export type AccessDone = (shortCircuit: ShortCircuit | null, error?: unknown) => void;

function isPromise<T>(v: unknown): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

export function runAccess(ctx: RequestContext, chain: PluginChain, done: AccessDone): void {
  let list = chain.instances;
  let i = 0;
  let applied: string | null = null;
  ctx.plugins = list;

  const switchToConsumer = (after: PluginInstance) => {
    const id = ctx.consumer?.id;
    if (chain.byConsumer === null || id === undefined || id === applied) return;
    applied = id;
    const alt = chain.byConsumer.get(id);
    if (alt === undefined) return;
    list = alt;
    ctx.plugins = alt;
    i = alt.findIndex((p) => p.priority < after.priority);
    if (i < 0) i = alt.length;
  };

  const step = (): void => {
    while (i < list.length) {
      const p = list[i++]!;
      if (p.access === undefined) continue;
      let r;
      try { r = p.access(ctx); } catch (err) { done(null, err); return; }
      if (isPromise<ShortCircuit | void>(r)) {
        r.then((res) => {
          if (res) { ctx.answeredBy = p.name; done(res); return; }
          switchToConsumer(p);
          step();
        }, (err: unknown) => done(null, err));
        return;
      }
      if (r) { ctx.answeredBy = p.name; done(r); return; }
      switchToConsumer(p);
    }
    done(null);
  };
  step();
}

/** Response-header phase over a flat header array (mutated in place); true when a plugin wants the body. */
export function runResponseHeaders(ctx: RequestContext, status: number, flat: string[]): boolean {
  const extra = ctx.clientHeaders.flat;
  for (let i = 0; i < extra.length; i++) flat.push(extra[i]!);
  let headers: FlatHeaderList | null = null;
  let wantsBody = false;
  for (const p of ctx.plugins) {
    if (p.responseHeaders === undefined && p.wantsBody === undefined) continue;
    headers ??= new FlatHeaderList(flat);
    p.responseHeaders?.(ctx, status, headers);
    if (p.wantsBody?.(ctx, status, headers)) wantsBody = true;
  }
  return wantsBody;
}

/** The body taps of the active plugins for this response (after the header phase). */
export function collectTaps(ctx: RequestContext, status: number, flat: string[]): BodyTap[] | null {
  let taps: BodyTap[] | null = null;
  let headers: FlatHeaderList | null = null;
  for (const p of ctx.plugins) {
    if (p.tapBody === undefined) continue;
    headers ??= new FlatHeaderList(flat);
    const t = p.tapBody(ctx, status, headers) ?? null;
    if (t !== null) (taps ??= []).push(t);
  }
  return taps;
}

export function runTransformBody(ctx: RequestContext, body: Buffer, flat: string[]): Buffer {
  const headers = new FlatHeaderList(flat);
  let out = body;
  for (const p of ctx.plugins) if (p.transformBody !== undefined) out = p.transformBody(ctx, out, headers);
  return out;
}

export function runLog(ctx: RequestContext, status: number): void {
  for (const p of ctx.plugins) {
    if (p.log === undefined) continue;
    try { p.log(ctx, status); } catch { /* the log phase never breaks a request */ }
  }
}
