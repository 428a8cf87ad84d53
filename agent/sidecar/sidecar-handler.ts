// The sidecar's inbound pipeline: pick the local instance the mesh request is for, forward it
// over loopback, one access-log line. During drain every answer closes its connection so
// callers move to other instances.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { MESH_DESTINATION, REQUEST_ID } from '../../proto/headers.js';
import { ERRORS } from '../../proto/errors.js';
import { roundMs, writeAccessLog } from '../observe/access-log.js';
import type { RequestRecorder } from '../observe/metrics.js';
import { Exchange, sendError, type ForwardPlan } from '../proxy/forward.js';
import { buildUpstreamHeaders } from '../proxy/request-headers.js';
import type { TrustedProxies } from '../proxy/trusted-proxies.js';

export interface LocalTarget {
  readonly id: string;
  readonly name: string;
  readonly plan: ForwardPlan;
  readonly recorder: RequestRecorder;
}

export interface SidecarHandlerOptions {
  readonly targets: ReadonlyMap<string, LocalTarget>;
  readonly trusted: TrustedProxies;
  readonly log: Logger;
  readonly requestId: () => string;
  readonly localPort: number;
  readonly draining: () => boolean;
}

export function createSidecarHandler(opts: SidecarHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const only = opts.targets.size === 1 ? [...opts.targets.values()][0]! : undefined;
  const { log, trusted, localPort } = opts;
  return function handleMeshRequest(req, res) {
    const started = performance.now();
    const incomingId = req.headers[REQUEST_ID];
    const requestId = typeof incomingId === 'string' && incomingId.length > 0 && incomingId.length <= 128 ? incomingId : opts.requestId();
    if (opts.draining()) res.setHeader('connection', 'close');
    const dest = req.headers[MESH_DESTINATION];
    const target = typeof dest === 'string' ? opts.targets.get(dest) : only;
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    if (target === undefined) {
      sendError(res, 'MG_UNKNOWN_DESTINATION', requestId);
      writeAccessLog(log, {
        method, path: url, route: '', service: String(dest ?? ''), endpoint: '', status: ERRORS.MG_UNKNOWN_DESTINATION.status, bytes: 0,
        upstream_ms: -1, total_ms: roundMs(performance.now() - started), request_id: requestId,
        client_ip: req.socket.remoteAddress ?? '', attempts: 0, error: 'MG_UNKNOWN_DESTINATION',
      });
      return;
    }
    const up = buildUpstreamHeaders(req, { hostHeader: null, requestId, proto: 'http', localPort, trusted }, false);
    new Exchange(req, res, target.plan, url, up.headers, -1, requestId, (o) => {
      const totalMs = performance.now() - started;
      target.recorder.record(o.status, totalMs, o.upstreamMs);
      writeAccessLog(log, {
        method, path: url, route: 'inbound', service: target.name, endpoint: o.endpoint, status: o.status, bytes: o.bytes,
        upstream_ms: roundMs(o.upstreamMs), total_ms: roundMs(totalMs), request_id: requestId, client_ip: up.clientIp,
        attempts: o.attempts, ...(o.error ? { error: o.error } : {}),
      });
    }).start();
  };
}
