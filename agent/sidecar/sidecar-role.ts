// The sidecar's part of the request pipeline (pipeline/request-pipeline.ts), inbound: route phase:
// the verified peer (mTLS) and the local instance the request is for; access phase: intentions
// (source → target); then forward over loopback and one access-log line. During drain every
// answer closes its connection so callers move to other instances.
import type { Logger } from 'pino';
import { MESH_DESTINATION, REQUEST_ID } from '../../proto/headers.js';
import type { AccessLog } from '../observe/access-log.js';
import type { RequestRecorder } from '../observe/metrics.js';
import type { MeshTracer } from '../observe/trace/tracer.js';
import { DROP, NO_PHASES, type Role, type RoutePhases } from '../pipeline/request-pipeline.js';
import type { ForwardPlan } from '../proxy/forward-plan.js';
import { buildUpstreamHeaders } from '../proxy/request-headers.js';
import type { TrustedProxies } from '../proxy/trusted-proxies.js';
import type { NativeIntentions } from '../intentions/native-intentions.js';
import { peerIdentityOf, type PeerIdentity } from '../transport/mesh-server.js';

export interface LocalTarget {
  readonly id: string;
  readonly name: string;
  readonly plan: ForwardPlan;
  readonly recorder: RequestRecorder;
  readonly kong: null;
}

/** The local instances by service id; `only`: the one a request without a destination header goes to. */
export interface LocalTargets {
  readonly byId: ReadonlyMap<string, LocalTarget>;
  readonly only: LocalTarget | undefined;
}

export interface SidecarRoleOptions {
  /** the current targets (a reload swaps them; each request reads them once) */
  readonly targets: { readonly current: LocalTargets };
  readonly trusted: TrustedProxies;
  readonly log: AccessLog;
  /** security events (intention_deny) */
  readonly events: Logger;
  readonly requestId: () => string;
  readonly localPort: number;
  /** mTLS on: every request has a verified peer identity */
  readonly mtls: boolean;
  /** decides each request locally (L4 and L7 intentions); current undefined: mesh.authorize off (a reload swaps it) */
  readonly authorizer: { readonly current: NativeIntentions | undefined };
  /** null: tracing off */
  readonly tracer?: MeshTracer | null;
}

/**
 * The access phase: the caller's service must be allowed to reach the target by Consul's
 * intentions, decided locally from the current table (no Consul call). The request itself is the
 * L7 facts: only a pair with L7 intentions reads its method, path or headers.
 */
function intentionPhases(authorizer: NativeIntentions, events: Logger): RoutePhases {
  return {
    response: null,
    log: null,
    access: (hop, next) => {
      const d = authorizer.decide((hop.state as PeerIdentity).identity.service, hop.serviceName, hop.req);
      if (d.allowed) return next(null);
      hop.trace?.event(d.unavailable ? 'intention.unavailable' : 'intention.denied', { 'meshgate.source': hop.source });
      if (!d.unavailable) events.warn({ event: 'intention_deny', source: hop.source, target: hop.serviceName, reason: d.reason }, 'intention_deny');
      next({ refuse: d.unavailable ? 'MG_AUTHZ_UNAVAILABLE' : 'MG_INTENTION_DENIED' });
    },
  };
}

export function createSidecarRole(opts: SidecarRoleOptions): Role {
  const { trusted, localPort } = opts;
  /** the access phase of the current authorizer, made again only when a reload swaps it */
  let authorization = { for: undefined as NativeIntentions | undefined, phases: NO_PHASES };
  const authorized = (): RoutePhases => {
    const a = opts.authorizer.current;
    if (a !== authorization.for) authorization = { for: a, phases: a === undefined ? NO_PHASES : intentionPhases(a, opts.events) };
    return authorization.phases;
  };
  const tracer = opts.tracer ?? null;
  return {
    log: opts.log,
    // the caller is a verified mesh agent (or loopback without mTLS): its sampling decision stands
    tracing: tracer === null ? null : { current: () => tracer, trustsPeer: () => true },
    requestId(req) {
      const incoming = req.headers[REQUEST_ID];
      return typeof incoming === 'string' && incoming.length > 0 && incoming.length <= 128 ? incoming : opts.requestId();
    },
    route(hop) {
      const req = hop.req;
      hop.routeName = 'inbound';
      const dest = req.headers[MESH_DESTINATION];
      const local = opts.targets.current;
      const target = typeof dest === 'string' ? local.byId.get(dest) : local.only;
      const peer = opts.mtls ? peerIdentityOf(req.socket) : undefined;
      hop.source = peer?.identity.uri ?? '';
      if (target === undefined) { hop.serviceName = String(dest ?? ''); return 'MG_UNKNOWN_DESTINATION'; }
      if (opts.mtls && peer === undefined) { req.socket.destroy(); return DROP; }
      hop.route = target;
      hop.serviceName = target.name;
      const up = buildUpstreamHeaders(req, { hostHeader: null, requestId: hop.requestId, proto: 'http', localPort, trusted, ...(peer ? { peerUri: hop.source } : {}) });
      hop.clientIp = up.clientIp;
      hop.upstreamHeaders = up.headers;
      hop.upstreamPath = req.url ?? '/';
      if (peer === undefined) return NO_PHASES;
      hop.state = peer;
      return authorized();
    },
  };
}
