// Test doubles for the proxy-cache tests: settings through the plugin's schema (Kong's defaults
// filled), and a fake edge that drives an instance the way edge-role.ts and upstream-exchange.ts do —
// access; a short-circuit goes through the response-header phase; otherwise a fake upstream
// answers, then response headers, taps (chunks, end or abort) and the log phase.
import { pino } from 'pino';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import type { RequestContext } from '../../../../../agent/plugins/context.js';
import { FlatHeaderList } from '../../../../../agent/plugins/header-list.js';
import type { PluginEnv } from '../../../../../agent/plugins/plugin.js';
import { ProxyCacheInstance, type CacheDeps } from '../../../../../agent/plugins/proxy-cache/cache-instance.js';
import { compileSettings, type CacheSettings, type ProxyCacheConfig } from '../../../../../agent/plugins/proxy-cache/config.js';
import { MemoryCacheStore } from '../../../../../agent/plugins/proxy-cache/memory-store.js';
import { proxyCachePlugin } from '../../../../../agent/plugins/proxy-cache/proxy-cache.js';
import type { CacheStore, StoredResponse } from '../../../../../agent/plugins/proxy-cache/store.js';
import { configIssues, fakeContext, type FakeRequestInit } from '../support/fake-request.js';

export function config(raw: Record<string, unknown> = {}): ProxyCacheConfig {
  const { config: c, issues } = configIssues(proxyCachePlugin, raw);
  if (issues.length > 0) throw new Error(`invalid test config: ${issues.join('; ')}`);
  return c as ProxyCacheConfig;
}

export const settings = (raw: Record<string, unknown> = {}): CacheSettings => compileSettings(config(raw));

export function env(): PluginEnv {
  return { log: pino({ level: 'silent' }), consumers: ConsumerIndex.compile({ _format_version: '3.0' } as never), scope: { route: 'r1', service: 's1' }, clusterSize: () => 1 };
}

/** An instance with a memory store of its own (the process-wide ones would leak between tests). */
export function instance(raw: Record<string, unknown> = {}, deps: CacheDeps = {}): ProxyCacheInstance {
  const s = settings(raw);
  const store = new MemoryCacheStore({ dictionaryName: s.dictionaryName, maxBytes: s.memoryMaxBytes, maxObjectBytes: s.maxObjectBytes });
  return new ProxyCacheInstance(s, env(), { refresher: null, store, ...deps });
}

/** A test clock: now() and advance(ms). */
export function clock(startMs = Date.UTC(2026, 0, 1)) {
  let t = startMs;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

export interface UpstreamAnswer {
  readonly status?: number;
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string | Buffer;
  /** the body is cut short after its first half (tap abort) */
  readonly truncated?: boolean;
}

export interface EdgeResult {
  readonly status: number;
  readonly headers: FlatHeaderList;
  readonly body: string;
  /** true when the plugin answered (a hit, a 504) */
  readonly fromCache: boolean;
  readonly ctx: RequestContext;
}

/** A fake upstream that counts calls and answers with `answer` (or what a function makes). */
export function upstream(answer: UpstreamAnswer | ((n: number, ctx: RequestContext) => UpstreamAnswer | Promise<UpstreamAnswer>)) {
  const u = {
    calls: 0,
    async respond(ctx: RequestContext): Promise<UpstreamAnswer> {
      u.calls++;
      return typeof answer === 'function' ? answer(u.calls, ctx) : answer;
    },
  };
  return u;
}

export const json = (extra: [string, string][] = []): [string, string][] => [['Content-Type', 'application/json'], ...extra];

/** Runs one request through the instance and the fake upstream; resolves once the store was written. */
export async function request(p: ProxyCacheInstance, up: ReturnType<typeof upstream>, init: FakeRequestInit = {}): Promise<EdgeResult> {
  const ctx = fakeContext(init);
  const sc = await p.access(ctx);
  if (sc) {
    const flat: string[] = [];
    for (const [k, v] of Object.entries(sc.headers ?? {})) for (const one of typeof v === 'string' ? [v] : v) flat.push(k, one);
    const headers = new FlatHeaderList(flat);
    p.responseHeaders(ctx, sc.status, headers);
    p.log(ctx, sc.status);
    const body = typeof sc.body === 'string' ? sc.body : Buffer.isBuffer(sc.body) ? sc.body.toString('utf8') : sc.body === undefined ? '' : JSON.stringify(sc.body);
    return { status: sc.status, headers, body, fromCache: true, ctx };
  }
  const a = await up.respond(ctx);
  const status = a.status ?? 200;
  const headers = new FlatHeaderList((a.headers ?? json()).flatMap(([k, v]) => [k, v]));
  // as runResponseHeaders: the per-request fields of other plugins first
  for (const [name, value] of ctx.clientHeaders.entries()) headers.append(name, value);
  p.responseHeaders(ctx, status, headers);
  const tap = p.tapBody(ctx, status, headers);
  const body = Buffer.isBuffer(a.body) ? a.body : Buffer.from(a.body ?? '');
  const sent = ctx.method === 'HEAD' ? Buffer.alloc(0) : body;
  if (tap !== null) {
    const half = Math.ceil(sent.length / 2);
    tap.chunk(sent.subarray(0, half));
    if (a.truncated) tap.abort();
    else { tap.chunk(sent.subarray(half)); tap.end(); }
  }
  p.log(ctx, status);
  await settle();
  return { status, headers, body: sent.toString('utf8'), fromCache: false, ctx };
}

/** Lets pending store writes (promise chains) finish. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

export const cacheStatus = (r: EdgeResult): string | undefined => r.headers.get('x-cache-status');

export function stored(over: Partial<StoredResponse> = {}): StoredResponse {
  return {
    status: 200, headers: [['Content-Type', 'text/plain']], body: Buffer.from('hello'), storedAtMs: 1_000_000, initialAgeS: 0,
    freshForS: 60, staleWhileRevalidateS: 0, staleIfErrorS: 0, mustRevalidate: false, sharedWithAuth: false, ...over,
  };
}

/** Stores `r` under `key` (with an empty Vary spec under a base key derived from it). */
export function putResponse(store: CacheStore, key: string, r: StoredResponse, ttlMs: number): Promise<boolean> {
  return store.put(`base-${key}`, { headers: [], generation: 'g' }, key, r, ttlMs);
}
