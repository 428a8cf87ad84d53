// One proxy-cache instance (per route and scope). The request path, in order:
//   access          refresh token? → method/directives → base key → Vary spec → variant key →
//                   entry usable? answer it (Hit) : coalesce (lead the fill, or wait for the leader
//                   and look again) and proxy (Miss / Refresh); store errors → Bypass
//   responseHeaders may the response be stored? (cacheability.ts) → X-Cache-Status, X-Cache-Key
//   tapBody         copy the body as it streams to the client; on end() store it, then wake waiters
//   log             the upstream failed → remember it (stale-if-error); a fill never started → release
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { RequestContext } from '../context.js';
import type { AccessResult, BodyTap, HeaderList, PluginEnv, PluginInstance, ShortCircuit } from '../plugin.js';
import { attachAdmin } from './admin.js';
import { decideStore, type StorePlan } from './cacheability.js';
import { Coalescer, type Fill } from './coalescing.js';
import type { CacheSettings } from './config.js';
import { requestDirectives, usability, type RequestDirectives } from './freshness.js';
import { baseKey, keyRequest, newVarySpec, sameHeaders, variantKey } from './key.js';
import { acquireMemoryStore } from './memory-store.js';
import { acquireRedisStore } from './redis-store.js';
import { isRefreshRequest, LoopbackRefresher, REFRESH_HEADER, type BackgroundRefresher } from './refresh.js';
import { cacheHeaders, replay, replayable, storableHeaders, type CacheStatus } from './replay.js';
import { responseSize, type CacheStore, type StoredResponse, type VarySpec } from './store.js';

export const PROXY_CACHE_PRIORITY = 100;
/** RFC 5861 §4: the errors stale-if-error covers */
const UPSTREAM_ERRORS = new Set([500, 502, 503, 504]);
/** RFC 9110 §9.2.1; any other method invalidates the URL's entries when it succeeds (RFC 9111 §4.4) */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/** how long an upstream failure for a key lets stale-if-error answer (a successful fill ends it sooner) */
const FAILURE_MEMORY_MS = 30_000;
/** bound on coalesced waiting: Kong's default read_timeout */
const COALESCE_WAIT_MS = 60_000;
const WARN_EVERY_MS = 5000;

interface RequestState {
  readonly status: CacheStatus;
  /** null: not cacheable at all (Bypass) */
  readonly base: string | null;
  readonly auth: boolean;
  key: string | null;
  spec: VarySpec | null;
  fill: Fill | null;
  plan: StorePlan | null;
  tapping: boolean;
  /** unsafe methods: the GET base key to invalidate on success */
  invalidate: string | null;
}

/** answered at the edge by this plugin (a hit, a 504): the response phases leave it alone */
const ANSWERED = 'answered';

export interface CacheDeps {
  readonly now?: () => number;
  /** a store of the test's own (not released by close()) */
  readonly store?: CacheStore;
  readonly refresher?: BackgroundRefresher | null;
  readonly coalesceWaitMs?: number;
}

export class ProxyCacheInstance implements PluginInstance {
  readonly name = 'proxy-cache';
  readonly priority = PROXY_CACHE_PRIORITY;
  readonly settings: CacheSettings;
  readonly store: CacheStore;
  readonly coalescer: Coalescer;
  readonly #releaseStore: () => void;
  readonly #detachAdmin: () => void;
  readonly #failures = new LRUCache<string, true>({ max: 10_000, ttl: FAILURE_MEMORY_MS });
  readonly #refresher: BackgroundRefresher | null;
  readonly #states = new WeakMap<RequestContext, RequestState | typeof ANSWERED>();
  readonly #log: Logger;
  readonly #now: () => number;
  #lastWarnMs = -Infinity;

  constructor(settings: CacheSettings, env: PluginEnv, deps: CacheDeps = {}) {
    this.settings = settings;
    this.#log = env.log;
    this.#now = deps.now ?? Date.now;
    this.coalescer = new Coalescer(deps.coalesceWaitMs ?? COALESCE_WAIT_MS);
    this.#refresher = deps.refresher !== undefined ? deps.refresher : new LoopbackRefresher(env.log);
    if (deps.store !== undefined) {
      this.store = deps.store;
      this.#releaseStore = () => {};
    } else {
      const lease = settings.strategy === 'redis' && settings.redis !== null
        ? acquireRedisStore(settings.redis)
        : acquireMemoryStore({ dictionaryName: settings.dictionaryName, maxBytes: settings.memoryMaxBytes, maxObjectBytes: settings.maxObjectBytes });
      this.store = lease.value;
      this.#releaseStore = lease.release;
    }
    this.#detachAdmin = env.admin !== undefined ? attachAdmin(env.admin, this.store) : () => {};
  }

  access(ctx: RequestContext): AccessResult | Promise<AccessResult> {
    const refresh = ctx.header(REFRESH_HEADER);
    if (refresh !== undefined) ctx.upstreamHeaders.remove(REFRESH_HEADER);
    const s = this.settings;
    const method = ctx.method;
    const invalidate = SAFE_METHODS.has(method) ? null : baseKey(s, keyRequest(ctx), 'GET');
    if (!s.requestMethods.has(method)) return this.#bypass(ctx, invalidate);
    if (method === 'GET' && isRefreshRequest(refresh)) return this.#lookup(ctx, null, baseKey(s, keyRequest(ctx)), 'refresh');
    const req = s.cacheControl ? requestDirectives(ctx.header('cache-control'), ctx.header('pragma')) : null;
    if (req?.noStore) return this.#bypass(ctx, invalidate);
    return this.#lookup(ctx, req, baseKey(s, keyRequest(ctx)), 'first', invalidate);
  }

  /** The cache key of this request and whether a stored answer would serve it (no side effects). */
  async explain(ctx: RequestContext): Promise<Record<string, unknown>> {
    const s = this.settings;
    if (!s.requestMethods.has(ctx.method)) return { decision: 'bypass', reason: `method ${ctx.method} not in request_method` };
    const base = baseKey(s, keyRequest(ctx));
    const spec = await this.store.getVary(base);
    const key = spec !== undefined ? variantKey(base, spec, (h) => ctx.header(h)) : null;
    const entry = key !== null ? await this.store.getResponse(key) : undefined;
    const auth = ctx.header('authorization') !== undefined;
    const req = s.cacheControl ? requestDirectives(ctx.header('cache-control'), ctx.header('pragma')) : null;
    const use = entry === undefined ? 'unusable' : auth && !entry.sharedWithAuth ? 'unusable' : usability(entry, this.#now(), req, key !== null && this.#failures.has(key));
    return { decision: use === 'unusable' ? 'miss' : 'hit', base_key: base, cache_key: key ?? base, would_hit: use !== 'unusable', ...(use !== 'unusable' ? { usable_as: use } : {}) };
  }

  responseHeaders(ctx: RequestContext, status: number, headers: HeaderList): void {
    const st = this.#states.get(ctx);
    if (st === undefined || st === ANSWERED) return;
    if (st.invalidate !== null && status < 400) {
      const base = st.invalidate;
      st.invalidate = null;
      this.store.delete(base).catch((err: unknown) => this.#warn(err, 'invalidate'));
    }
    if (st.base === null) { ctx.cacheStatus = 'Bypass'; return cacheHeaders(this.settings, headers, 'Bypass', null); }
    const d = decideStore(this.settings, status, headers, st.auth, this.#now());
    if (!d.store) {
      this.#endFill(st, false);
      ctx.cacheStatus = 'Bypass';
      return cacheHeaders(this.settings, headers, 'Bypass', null);
    }
    // the upstream's Vary decides the variant; an unchanged list keeps the other variants reachable
    st.spec = st.spec !== null && sameHeaders(st.spec.headers, d.plan.vary) ? st.spec : newVarySpec(d.plan.vary);
    st.key = variantKey(st.base, st.spec, (h) => ctx.header(h));
    if (ctx.method === 'HEAD') this.#endFill(st, false); // a body-less answer never fills GET's entry
    else st.plan = d.plan;
    ctx.cacheStatus = st.status;
    cacheHeaders(this.settings, headers, st.status, st.key);
  }

  tapBody(ctx: RequestContext, status: number, headers: HeaderList): BodyTap | null {
    const st = this.#states.get(ctx);
    if (st === undefined || st === ANSWERED || st.plan === null) return null;
    const plan = st.plan;
    st.plan = null;
    st.tapping = true;
    const kept = storableHeaders(headers, ctx.clientHeaders);
    const max = this.settings.maxObjectBytes;
    // undici hands each chunk as a view of a fresh socket read, which res.write() keeps too: no copy
    let chunks: Buffer[] = [];
    let size = 0;
    return {
      chunk: (b) => {
        size += b.length;
        if (size > max) chunks = [];
        else chunks.push(b);
      },
      end: () => {
        if (size > max) this.#endFill(st, false);
        else void this.#save(st, plan, status, kept, Buffer.concat(chunks, size));
      },
      abort: () => this.#endFill(st, false),
    };
  }

  log(ctx: RequestContext, status: number): void {
    const st = this.#states.get(ctx);
    if (st === undefined || st === ANSWERED) return;
    if (st.key !== null && UPSTREAM_ERRORS.has(status)) this.#failures.set(st.key, true);
    if (!st.tapping) this.#endFill(st, false);
  }

  close(): void {
    this.#detachAdmin();
    this.#releaseStore();
  }

  // --- internals ------------------------------------------------------------------------------
  #bypass(ctx: RequestContext, invalidate: string | null): undefined {
    this.#states.set(ctx, { status: 'Bypass', base: null, auth: false, key: null, spec: null, fill: null, plan: null, tapping: false, invalidate });
    return undefined;
  }

  /**
   * `pass`: 'first' may wait for a fill in flight, 'again' is the look after such a wait (it never
   * waits twice), 'refresh' is a background refresh (never answered from the cache).
   */
  async #lookup(ctx: RequestContext, req: RequestDirectives | null, base: string, pass: 'first' | 'again' | 'refresh', invalidate: string | null = null): Promise<AccessResult> {
    const auth = ctx.header('authorization') !== undefined;
    const header = (h: string) => ctx.header(h);
    let spec: VarySpec | undefined;
    let entry: StoredResponse | undefined;
    let key: string | null = null;
    try {
      spec = await this.store.getVary(base);
      key = spec !== undefined ? variantKey(base, spec, header) : null;
      if (key !== null && pass !== 'refresh') entry = await this.store.getResponse(key);
    } catch (err) {
      this.#warn(err, 'lookup');
      return req?.onlyIfCached ? this.#gatewayTimeout(ctx) : this.#bypass(ctx, invalidate);
    }
    const now = this.#now();
    if (entry !== undefined && key !== null) {
      const use = auth && !entry.sharedWithAuth ? 'unusable' : usability(entry, now, req, this.#failures.has(key));
      if (use !== 'unusable') {
        if (use === 'stale-while-revalidate' || use === 'stale-if-error') this.#refresher?.refresh(ctx, key);
        this.#states.set(ctx, ANSWERED);
        ctx.cacheStatus = 'Hit';
        return replay(this.settings, entry, key, now);
      }
    }
    if (req?.onlyIfCached) return this.#gatewayTimeout(ctx);
    const st: RequestState = {
      status: entry !== undefined || pass === 'refresh' ? 'Refresh' : 'Miss', base, auth, key, spec: spec ?? null,
      fill: null, plan: null, tapping: false, invalidate,
    };
    this.#states.set(ctx, st);
    // requests with Authorization may not be able to use the fill, and other methods (POST when
    // listed, as Kong allows) must each reach the upstream on a miss: they neither lead nor wait
    if (auth || pass === 'refresh' || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) return undefined;
    const flight = key ?? `base:${base}`;
    const inFlight = this.coalescer.wait(flight);
    if (inFlight === null) {
      if (ctx.method !== 'HEAD') st.fill = this.coalescer.lead(flight);
    } else if (pass === 'first' && req?.noCache !== true) {
      // the leader's answer, once stored, is looked up again; a failed fill is never replayed
      if (await inFlight) return this.#lookup(ctx, req, base, 'again', invalidate);
    }
    return undefined;
  }

  async #save(st: RequestState, plan: StorePlan, status: number, headers: [string, string][], body: Buffer): Promise<void> {
    const { base, key, spec } = st;
    if (base === null || key === null || spec === null) return this.#endFill(st, false);
    const entry: StoredResponse = {
      status, headers, body, storedAtMs: this.#now(), initialAgeS: plan.initialAgeS, freshForS: plan.freshForS,
      staleWhileRevalidateS: plan.staleWhileRevalidateS, staleIfErrorS: plan.staleIfErrorS,
      mustRevalidate: plan.mustRevalidate, sharedWithAuth: plan.sharedWithAuth,
    };
    if (!replayable(body) || responseSize(key, entry) > this.settings.maxObjectBytes) return this.#endFill(st, false);
    const ttlMs = plan.storageTtlS * 1000;
    try {
      const stored = await this.store.put(base, spec, key, entry, ttlMs);
      if (stored) this.#failures.delete(key);
      this.#endFill(st, stored);
    } catch (err) {
      this.#warn(err, 'store');
      this.#endFill(st, false);
    }
  }

  #endFill(st: RequestState, filled: boolean): void {
    st.fill?.release(filled);
    st.fill = null;
  }

  #gatewayTimeout(ctx: RequestContext): ShortCircuit {
    this.#states.set(ctx, ANSWERED);
    return { status: 504, body: { message: 'Gateway Timeout' }, ...(this.settings.sendStatus ? { headers: { 'X-Cache-Status': 'Miss' } } : {}) };
  }

  #warn(err: unknown, during: string): void {
    const now = this.#now();
    if (now - this.#lastWarnMs < WARN_EVERY_MS) return;
    this.#lastWarnMs = now;
    this.#log.warn({ err: (err as Error)?.message ?? String(err), during, strategy: this.settings.strategy }, 'proxy-cache: store failed; requests bypass the cache');
  }
}
