// Background refresh of a stale entry (stale-while-revalidate, and probing the upstream while
// stale-if-error answers): the client gets the stale copy at once, and the agent sends the same
// request to its own edge listener with a per-process secret header. The plugin recognises that
// header, skips the lookup and stores the fresh answer through the normal path — so the refresh
// runs through the same route, plugins, balancer, retries and health as any request, with no
// second HTTP client towards the upstreams. At most one refresh per key is in flight, at most
// one per key starts per MIN_INTERVAL_MS, and at most MAX_IN_FLIGHT run at once.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { FORWARDED_FOR, FORWARDED_HOST, FORWARDED_PORT, FORWARDED_PROTO, HOP_BY_HOP, REAL_IP, REQUEST_ID } from '../../../proto/headers.js';
import type { RequestContext } from '../context.js';

export const REFRESH_HEADER = 'x-meshgate-cache-refresh';
const TOKEN = Buffer.from(randomBytes(18).toString('base64url'));
const MIN_INTERVAL_MS = 1000;
const MAX_IN_FLIGHT = 64;
const TIMEOUT_MS = 60_000;
/**
 * A refresh must get the full answer (no conditionals, ranges or body), and must not carry the
 * client's forwarding claims: it states the client address the edge already settled on instead,
 * which only counts if the agent trusts its own address as a proxy.
 */
const NOT_COPIED = new Set([
  ...HOP_BY_HOP, REFRESH_HEADER, 'content-length', 'expect', 'if-none-match', 'if-modified-since', 'if-match',
  'if-unmodified-since', 'if-range', 'range', FORWARDED_FOR, FORWARDED_PROTO, FORWARDED_HOST, FORWARDED_PORT,
  REAL_IP, REQUEST_ID, 'forwarded',
]);

/** Whether a request carries this process's refresh token (constant-time comparison). */
export function isRefreshRequest(value: string | undefined): boolean {
  if (value === undefined) return false;
  const got = Buffer.from(value);
  return got.length === TOKEN.length && timingSafeEqual(got, TOKEN);
}

export interface BackgroundRefresher {
  /** starts a refresh of the entry `key` with the request `ctx` (GET), unless one is recent */
  refresh(ctx: RequestContext, key: string): void;
}

export class LoopbackRefresher implements BackgroundRefresher {
  readonly #busy = new Set<string>();
  readonly #recent = new LRUCache<string, true>({ max: 10_000, ttl: MIN_INTERVAL_MS });
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  refresh(ctx: RequestContext, key: string): void {
    if (this.#busy.has(key) || this.#recent.has(key) || this.#busy.size >= MAX_IN_FLIGHT) return;
    const socket = ctx.req.socket as Partial<TLSSocket> | undefined;
    const port = socket?.localPort;
    const address = socket?.localAddress;
    if (port === undefined || address === undefined) return;
    const headers: string[] = [];
    const raw = ctx.req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (!NOT_COPIED.has(raw[i]!.toLowerCase())) headers.push(raw[i]!, raw[i + 1]!);
    }
    headers.push(FORWARDED_FOR, ctx.clientIp, REFRESH_HEADER, TOKEN.toString());
    this.#busy.add(key);
    this.#recent.set(key, true);
    let finished = false;
    const done = (err?: Error) => {
      if (finished) return;
      finished = true;
      this.#busy.delete(key);
      if (err !== undefined) this.#log.debug({ err: err.message, key }, 'proxy-cache: background refresh failed');
    };
    const tls = socket?.encrypted === true;
    const host = (ctx.header('host') ?? '').replace(/:\d+$/, '');
    const options: https.RequestOptions = {
      host: address, port, method: 'GET', path: ctx.req.url ?? '/', headers, agent: false, timeout: TIMEOUT_MS,
      // our own listener at the address this request arrived on; its certificate names the public host
      ...(tls ? { rejectUnauthorized: false, ...(host !== '' && !/^[\d.:[\]]+$/.test(host) ? { servername: host } : {}) } : {}),
    };
    const req = (tls ? https : http).request(options, (res) => {
      res.resume();
      res.once('end', () => done());
      res.once('error', done);
      res.once('close', () => done());
    });
    req.once('timeout', () => req.destroy(new Error('background refresh timed out')));
    req.once('error', done);
    req.end();
  }

  /** refreshes in flight (tests) */
  get inFlight(): number { return this.#busy.size; }
}
