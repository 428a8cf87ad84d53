// The edge request pipeline, in order: read the table snapshot → normalize the path → match a
// route → build upstream headers → (plugins: access phase, maybe a short-circuit) → forward
// (plugins: response phases) → one access-log line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ERRORS, type ErrorCode } from '../../proto/errors.js';
import { loggablePath, writeAccessLog, type AccessLog } from '../observe/access-log.js';
import { RequestContext } from '../plugins/context.js';
import { collectTaps, runAccess, runLog, runResponseHeaders, runTransformBody } from '../plugins/pipeline.js';
import type { ShortCircuit } from '../plugins/plugin.js';
import { Exchange, sendError, sendJson, type ExchangeOutcome, type ResponseHooks } from '../proxy/forward.js';
import { canLinger, lingerOnUnreadBody } from '../proxy/local-answers.js';
import { buildUpstreamHeaders } from '../proxy/request-headers.js';
import type { TrustedProxies } from '../proxy/trusted-proxies.js';
import { normalizePath } from '../table/normalize-path.js';
import type { EdgeRoute, RouteTable } from '../table/route-table.js';
import { upstreamPath } from '../table/router.js';

export interface EdgeHandlerOptions {
  readonly table: () => RouteTable;
  readonly trusted: TrustedProxies;
  readonly log: AccessLog;
  /** errors that are not the client's (a plugin that threw) */
  readonly events: Logger;
  readonly requestId: () => string;
  readonly localPort: number;
  readonly proto: 'http' | 'https';
}

const NO_CAPTURES: Readonly<Record<string, string>> = Object.freeze({});

function pluginHooks(ctx: RequestContext): ResponseHooks {
  return {
    headers: (status, headers) => runResponseHeaders(ctx, status, headers),
    body: (body, headers) => runTransformBody(ctx, body, headers),
    taps: (status, headers) => collectTaps(ctx, status, headers),
  };
}

function shortCircuitBody(sc: ShortCircuit): { text: string | Buffer; contentType: string | null } {
  if (sc.body === undefined) return { text: '', contentType: null };
  if (typeof sc.body === 'string' || Buffer.isBuffer(sc.body)) return { text: sc.body, contentType: null };
  return { text: JSON.stringify(sc.body), contentType: 'application/json; charset=utf-8' };
}

function sendShortCircuit(res: ServerResponse, sc: ShortCircuit, ctx: RequestContext): void {
  const { text, contentType } = shortCircuitBody(sc);
  const extra: string[] = ['x-request-id', ctx.requestId];
  // a refusal that would close on an unread body lingers instead (see lingerOnUnreadBody)
  const linger = canLinger(ctx.req);
  for (const [k, v] of Object.entries(sc.headers ?? {})) {
    if (linger && k.toLowerCase() === 'connection' && v === 'close') { lingerOnUnreadBody(ctx.req); continue; }
    if (typeof v === 'string') extra.push(k, v);
    else for (const one of v) extra.push(k, one);
  }
  if (contentType === null) {
    const headers = [...extra];
    runResponseHeaders(ctx, sc.status, headers);
    // 204 and 304 carry no body and no Content-Length (RFC 9110 §8.6)
    if (sc.status !== 204 && sc.status !== 304) headers.push('content-length', String(Buffer.byteLength(text)));
    res.writeHead(sc.status, headers);
    res.end(sc.status === 204 || sc.status === 304 ? undefined : text);
    return;
  }
  sendJson(res, sc.status, text as string, extra, pluginHooks(ctx));
}

export function createEdgeHandler(opts: EdgeHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { trusted, log, requestId: nextId, localPort, proto } = opts;

  function reject(req: IncomingMessage, res: ServerResponse, code: ErrorCode, requestId: string, started: number): void {
    sendError(res, code, requestId);
    writeAccessLog(log, {
      method: req.method ?? '', path: loggablePath(req.url ?? ''), route: '', service: '', endpoint: '', status: ERRORS[code].status,
      bytes: 0, upstream_ms: -1, total_ms: performance.now() - started, request_id: requestId,
      client_ip: req.socket.remoteAddress ?? '', attempts: 0, error: code,
    });
  }

  function finished(route: EdgeRoute, method: string, url: string, requestId: string, clientIp: string, started: number, o: ExchangeOutcome, consumer?: string): void {
    const totalMs = performance.now() - started;
    route.recorder.record(o.status, totalMs, o.upstreamMs);
    writeAccessLog(log, {
      method, path: loggablePath(url), route: route.name, service: route.service.name, endpoint: o.endpoint, status: o.status,
      bytes: o.bytes, upstream_ms: o.upstreamMs, total_ms: totalMs, request_id: requestId,
      client_ip: clientIp, attempts: o.attempts, ...(o.error ? { error: o.error } : {}), ...(consumer ? { consumer } : {}),
    });
  }

  return function handleEdgeRequest(req, res) {
    const started = performance.now();
    const table = opts.table();
    const requestId = nextId();
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const path = normalizePath(rawPath);
    if (path === null) return reject(req, res, 'MG_BAD_PATH', requestId, started);
    const host = (req.headers.host ?? '').toLowerCase();
    const method = req.method ?? 'GET';
    const match = table.match(method, host, path, req.headers);
    if (match === undefined) return reject(req, res, 'MG_NO_ROUTE', requestId, started);
    const route = match.rule;
    const target = upstreamPath(route.service.path, match.prefix, path, route.stripPath);
    const up = buildUpstreamHeaders(req, { hostHeader: route.hostHeader, requestId, proto, localPort, trusted });

    if (route.plugins === null) {
      new Exchange({
        req, res, plan: route.plan, path: q < 0 ? target : target + url.slice(q), headers: up.headers, requestId,
        done: (o) => finished(route, method, url, requestId, up.clientIp, started, o),
      }).start();
      return;
    }

    const ctx = new RequestContext({
      req, requestId, clientIp: up.clientIp, route: { name: route.name, service: route.service.name }, path,
      query: q < 0 ? '' : url.slice(q + 1), captures: match.captures ?? NO_CAPTURES, upstreamPath: target, upstreamHeaders: up.headers,
    });
    const done = (o: ExchangeOutcome) => {
      runLog(ctx, o.status);
      finished(route, method, url, requestId, up.clientIp, started, o, ctx.consumer?.username ?? ctx.consumer?.id);
    };
    runAccess(ctx, route.plugins, (sc, err) => {
      if (res.destroyed) return done({ status: 499, bytes: 0, upstreamMs: -1, endpoint: '', attempts: 0, error: 'MG_CLIENT_CLOSED' });
      if (err !== undefined) {
        opts.events.error({ err: (err as Error).message, route: route.name, request_id: requestId }, 'plugin failed');
        sendError(res, 'MG_INTERNAL', requestId, pluginHooks(ctx));
        return done({ status: 500, bytes: 0, upstreamMs: -1, endpoint: '', attempts: 0, error: 'MG_INTERNAL' });
      }
      if (sc !== null) {
        sendShortCircuit(res, sc, ctx);
        return done({ status: sc.status, bytes: 0, upstreamMs: -1, endpoint: '', attempts: 0 });
      }
      const forward = (body: Buffer | null) => new Exchange({
        req, res, plan: route.plan, path: ctx.query === '' ? ctx.upstreamPath : `${ctx.upstreamPath}?${ctx.query}`,
        headers: ctx.upstreamHeaders.flat, requestId, body, hooks: pluginHooks(ctx), done,
      }).start();
      if (ctx.upstreamBody !== null) forward(ctx.upstreamBody);
      else if (ctx.bodyWasRead) ctx.readBody().then(forward, () => { sendError(res, 'MG_INTERNAL', requestId); done({ status: 500, bytes: 0, upstreamMs: -1, endpoint: '', attempts: 0, error: 'MG_INTERNAL' }); });
      else forward(null);
    });
  };
}
