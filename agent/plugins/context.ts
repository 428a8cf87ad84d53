// Per-request state shared by the plugins of one route, created only for routes with plugins.
import type { InboundRequest } from '../pipeline/transport.js';
import { watchRequestBody, type BodyLimits } from '../proxy/body-watchdog.js';
import { BODY_TIMEOUT, REQUEST_TIMEOUT } from '../proxy/upstream-errors.js';
import { FlatHeaderList } from './header-list.js';
import type { Consumer, Credential } from './consumers.js';
import type { PluginInstance } from './plugin.js';
import type { GrpcWebMode } from '../proxy/grpc-web-wire.js';

export interface RouteInfo {
  readonly name: string;
  readonly service: string;
  /** Kong route/service ids when the config gave them */
  readonly routeId?: string;
  readonly serviceId?: string;
}

const NOOP = (): void => {};

/** A body read that the client's body_timeout or request_timeout ended (answered 408, not a plugin failure). */
export function isBodyTimeout(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === BODY_TIMEOUT || code === REQUEST_TIMEOUT;
}

export class RequestContext {
  readonly req: InboundRequest;
  readonly requestId: string;
  readonly clientIp: string;
  readonly method: string;
  readonly route: RouteInfo;
  /** canonical Host (what routing saw and what is forwarded: agent/edge/canonical-host.ts) */
  readonly host: string;
  /** normalized request path (what routing saw) */
  readonly path: string;
  /** named captures of a regex route path (Kong's uri_captures) */
  readonly captures: Readonly<Record<string, string>>;
  /** path sent upstream; plugins may replace it (request-transformer replace.uri) */
  upstreamPath: string;
  /** headers sent upstream (built from the client's, minus hop-by-hop, plus X-Forwarded-*) */
  readonly upstreamHeaders: FlatHeaderList;
  /** extra headers for the client response (rate-limit headers, CORS …), added in every answer */
  readonly clientHeaders = new FlatHeaderList([]);
  consumer: Consumer | null = null;
  credential: Credential | null = null;
  anonymous = false;
  /** a replacement request body (e.g. request-transformer); null keeps streaming the client's */
  upstreamBody: Buffer | null = null;
  /** plugin-to-plugin notes (e.g. jwt claims for later plugins) */
  readonly shared = new Map<string, unknown>();
  /** the chain in effect (the consumer's, once one is authenticated); set by the pipeline */
  plugins: readonly PluginInstance[] = [];
  /** the plugin whose access phase answered instead of proxying (for metrics and trace events) */
  answeredBy: string | null = null;
  /** proxy-cache's outcome (Hit, Miss, Refresh, Bypass), for metrics and trace events */
  cacheStatus: string | null = null;
  /** set by grpc-web: the call is gRPC-Web, forwarded as gRPC and translated back */
  grpcWeb: GrpcWebMode | null = null;
  #query: string;
  #params: URLSearchParams | null = null;
  #body: Promise<Buffer> | null = null;
  /** the listener's body bounds, kept while a plugin reads the body; null: none */
  readonly #bodyLimits: BodyLimits | null;
  /** when the request's head was read (performance.now()), for request_timeout */
  readonly #startedAt: number;
  #stopBodyWatch: () => void = NOOP;

  constructor(init: {
    req: InboundRequest; requestId: string; clientIp: string; route: RouteInfo; host?: string; path: string; query: string;
    captures: Readonly<Record<string, string>>; upstreamPath: string; upstreamHeaders: string[];
    bodyLimits?: BodyLimits | null; startedAt?: number;
  }) {
    this.req = init.req;
    this.requestId = init.requestId;
    this.clientIp = init.clientIp;
    this.method = init.req.method ?? 'GET';
    this.route = init.route;
    this.host = init.host ?? (init.req.headers.host ?? '').toLowerCase();
    this.path = init.path;
    this.#query = init.query;
    this.captures = init.captures;
    this.upstreamPath = init.upstreamPath;
    this.upstreamHeaders = new FlatHeaderList(init.upstreamHeaders);
    this.#bodyLimits = init.bodyLimits ?? null;
    this.#startedAt = init.startedAt ?? performance.now();
  }

  /** a client request header (lower-case name), as Node parsed it */
  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  /** the query string sent upstream, without "?": the client's, byte for byte, unless a plugin changed it */
  get query(): string {
    if (this.#params === null) return this.#query;
    const now = this.#params.toString();
    return now === this.#parsedAs ? this.#query : now;
  }

  /** parsed query parameters; changing them changes what is sent upstream */
  get queryParams(): URLSearchParams {
    if (this.#params === null) {
      this.#params = new URLSearchParams(this.#query);
      this.#parsedAs = this.#params.toString();
    }
    return this.#params;
  }

  #parsedAs = '';

  /**
   * Reads the whole client body (once; later calls share it) up to `limit` bytes. Only plugins
   * that must see the body call this; everything else streams. The listener's body_timeout and
   * request_timeout hold while it reads: a body that stalls or trickles rejects with a body
   * timeout (isBodyTimeout), which the edge answers with 408.
   */
  readBody(limit = 8 * 1024 * 1024): Promise<Buffer> {
    this.#body ??= new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const req = this.req;
      const stopWatch = this.#bodyLimits === null ? NOOP : watchRequestBody(req, this.#bodyLimits, this.#startedAt, (err) => {
        req.off('data', onData);
        req.pause();
        reject(err);
      });
      this.#stopBodyWatch = stopWatch;
      const onData = (c: Buffer) => {
        size += c.length;
        if (size > limit) { stopWatch(); reject(Object.assign(new Error('request body too large'), { code: 'MG_BODY_TOO_LARGE' })); req.destroy(); return; }
        chunks.push(c);
      };
      req.on('data', onData);
      req.once('end', () => { stopWatch(); resolve(Buffer.concat(chunks)); });
      req.once('error', (err) => { stopWatch(); reject(err); });
    });
    return this.#body;
  }

  /** The body read is given up (a refusal past a size limit): its timeouts no longer apply. */
  abandonBodyRead(): void {
    this.#stopBodyWatch();
  }

  get bodyWasRead(): boolean {
    return this.#body !== null;
  }
}
