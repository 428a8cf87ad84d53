// The edge request pipeline, in order: read the table snapshot → normalize the path → match a
// route → build upstream headers → forward → one access-log line.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { writeAccessLog, roundMs } from '../observe/access-log.js';
import { Exchange, sendError } from '../proxy/forward.js';
import { buildUpstreamHeaders } from '../proxy/request-headers.js';
import type { TrustedProxies } from '../proxy/trusted-proxies.js';
import { normalizePath } from '../table/normalize-path.js';
import { upstreamPath } from '../table/router.js';
import type { RouteTable } from '../table/route-table.js';
import type { ErrorCode } from '../../proto/errors.js';
import { ERRORS } from '../../proto/errors.js';

export interface EdgeHandlerOptions {
  readonly table: () => RouteTable;
  readonly trusted: TrustedProxies;
  readonly log: Logger;
  readonly requestId: () => string;
  readonly localPort: number;
  readonly proto: 'http' | 'https';
}

export function createEdgeHandler(opts: EdgeHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { trusted, log, requestId: nextId, localPort, proto } = opts;

  function reject(req: IncomingMessage, res: ServerResponse, code: ErrorCode, requestId: string, started: number): void {
    sendError(res, code, requestId);
    writeAccessLog(log, {
      method: req.method ?? '', path: req.url ?? '', route: '', service: '', endpoint: '', status: ERRORS[code].status,
      bytes: 0, upstream_ms: -1, total_ms: roundMs(performance.now() - started), request_id: requestId,
      client_ip: req.socket.remoteAddress ?? '', attempts: 0, error: code,
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
    const match = table.match(method, host, path);
    if (match === undefined) return reject(req, res, 'MG_NO_ROUTE', requestId, started);
    const route = match.rule;
    const target = upstreamPath(route.service.path, match.prefix, path, route.stripPath) + (q < 0 ? '' : url.slice(q));
    const up = buildUpstreamHeaders(req, { hostHeader: route.hostHeader, requestId, proto, localPort, trusted }, route.meshHop);
    new Exchange(req, res, route.plan, target, up.headers, up.destinationSlot, requestId, (o) => {
      const totalMs = performance.now() - started;
      route.recorder.record(o.status, totalMs, o.upstreamMs);
      writeAccessLog(log, {
        method, path: url, route: route.name, service: route.service.name, endpoint: o.endpoint, status: o.status,
        bytes: o.bytes, upstream_ms: roundMs(o.upstreamMs), total_ms: roundMs(totalMs), request_id: requestId,
        client_ip: up.clientIp, attempts: o.attempts, ...(o.error ? { error: o.error } : {}),
      });
    }).start();
  };
}
