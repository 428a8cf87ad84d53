// The sidecar's inbound pipeline: verified peer (mTLS) → pick the local instance the request is
// for → intentions (source → target) → forward over loopback → one access-log line. During
// drain every answer closes its connection so callers move to other instances.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { MESH_DESTINATION, REQUEST_ID } from '../../proto/headers.js';
import { ERRORS, type ErrorCode } from '../../proto/errors.js';
import { loggablePath, writeAccessLog, type AccessLog } from '../observe/access-log.js';
import type { RequestRecorder } from '../observe/metrics.js';
import { Exchange, sendError, type ForwardPlan } from '../proxy/forward.js';
import { buildUpstreamHeaders } from '../proxy/request-headers.js';
import type { TrustedProxies } from '../proxy/trusted-proxies.js';
import type { Decision, IntentionAuthorizer } from '../transport/intention-authorizer.js';
import { peerIdentityOf, type PeerIdentity } from '../transport/mesh-server.js';

export interface LocalTarget {
  readonly id: string;
  readonly name: string;
  readonly plan: ForwardPlan;
  readonly recorder: RequestRecorder;
}

export interface SidecarHandlerOptions {
  readonly targets: ReadonlyMap<string, LocalTarget>;
  readonly trusted: TrustedProxies;
  readonly log: AccessLog;
  /** security events (intention_deny) */
  readonly events: Logger;
  readonly requestId: () => string;
  readonly localPort: number;
  /** mTLS on: every request has a verified peer identity */
  readonly mtls: boolean;
  readonly authorizer: IntentionAuthorizer | undefined;
}

export function createSidecarHandler(opts: SidecarHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const only = opts.targets.size === 1 ? [...opts.targets.values()][0]! : undefined;
  const { log, trusted, localPort, authorizer } = opts;

  return function handleMeshRequest(req, res) {
    const started = performance.now();
    const incomingId = req.headers[REQUEST_ID];
    const requestId = typeof incomingId === 'string' && incomingId.length > 0 && incomingId.length <= 128 ? incomingId : opts.requestId();
    const dest = req.headers[MESH_DESTINATION];
    const target = typeof dest === 'string' ? opts.targets.get(dest) : only;
    const peer = opts.mtls ? peerIdentityOf(req.socket) : undefined;
    const source = peer?.identity.uri ?? '';

    const reject = (code: ErrorCode, service: string) => {
      sendError(res, code, requestId);
      writeAccessLog(log, {
        method: req.method ?? '', path: loggablePath(req.url ?? ''), route: 'inbound', service, endpoint: '', status: ERRORS[code].status,
        bytes: 0, upstream_ms: -1, total_ms: performance.now() - started, request_id: requestId,
        client_ip: req.socket.remoteAddress ?? '', attempts: 0, error: code, ...(source ? { source } : {}),
      });
    };

    if (target === undefined) return reject('MG_UNKNOWN_DESTINATION', String(dest ?? ''));
    if (opts.mtls && peer === undefined) { req.socket.destroy(); return; }

    const forward = () => {
      const up = buildUpstreamHeaders(req, { hostHeader: null, requestId, proto: 'http', localPort, trusted, ...(peer ? { peerUri: source } : {}) });
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      new Exchange({ req, res, plan: target.plan, path: url, headers: up.headers, requestId, done: (o) => {
        const totalMs = performance.now() - started;
        target.recorder.record(o.status, totalMs, o.upstreamMs);
        writeAccessLog(log, {
          method, path: loggablePath(url), route: 'inbound', service: target.name, endpoint: o.endpoint, status: o.status, bytes: o.bytes,
          upstream_ms: o.upstreamMs, total_ms: totalMs, request_id: requestId, client_ip: up.clientIp,
          attempts: o.attempts, ...(o.error ? { error: o.error } : {}), ...(source ? { source } : {}),
        });
      } }).start();
    };

    if (authorizer === undefined || peer === undefined) return forward();
    const decided = (d: Decision) => {
      if (d.allowed) return forward();
      if (!d.unavailable) opts.events.warn({ event: 'intention_deny', source, target: target.name, reason: d.reason }, 'intention_deny');
      reject(d.unavailable ? 'MG_AUTHZ_UNAVAILABLE' : 'MG_INTENTION_DENIED', target.name);
    };
    const d = authorizer.decide(source, (peer as PeerIdentity).serial, target.name);
    if (d instanceof Promise) d.then(decided, () => reject('MG_AUTHZ_UNAVAILABLE', target.name));
    else decided(d);
  };
}
