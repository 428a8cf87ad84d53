// A sidecar: the mesh listener (mTLS unless disabled) in front of the local instances, their
// registration with Consul, intentions, and the local upstream ports.
import type { Logger } from 'pino';
import type { PoolGuardPolicy } from '../discovery/pool-guard.js';
import type { AccessLog } from '../observe/access-log.js';
import type { SidecarSection } from '../../proto/config-schema.js';
import { parseHostPort } from '../config/host-port.js';
import type { ConsulClient } from '../../registrar/consul-client.js';
import { startEdge, upstreamDeclarative, UPSTREAM_PORT_HTTP2, type StartedEdge } from '../edge/start-edge.js';
import { DEFAULT_LIMITS, listen, type Listener } from '../http-listener.js';
import { createEdgeHttp2, HTTP2_DEFAULTS } from '../edge/h2/h2-server.js';
import { H2Sessions } from '../proxy/h2-upstream-sessions.js';
import type { Metrics } from '../observe/metrics.js';
import { EndpointRegistry, UPSTREAM_KEEPALIVE_TIMEOUT_MS } from '../pool/endpoint-registry.js';
import { LOOPBACK_CIDRS, TrustedProxies } from '../proxy/trusted-proxies.js';
import { NativeIntentions } from '../intentions/native-intentions.js';
import { guardMeshServer } from '../transport/mesh-server.js';
import type { MeshTls } from '../transport/mesh-tls.js';
import { Registrar, sidecarRegistrations } from '../../registrar/registrar.js';
import { meshAdvertiseAddress } from '../../registrar/registration.js';
import { compileLocalTargets } from './local-targets.js';
import { createPipeline } from '../pipeline/request-pipeline.js';
import { createUpgradeEntry } from '../pipeline/upgrade-entry.js';
import { createSidecarRole, type LocalTarget, type LocalTargets } from './sidecar-role.js';
import { planUpstreams, type UpstreamSpec } from './upstream-plan.js';
import { ConfigError } from '../config/config-error.js';
import type { PreparedReload } from '../edge/edge-reload.js';
import { loadTracerModule } from '../observe/trace/load-tracer.js';
import type { MeshTracer } from '../observe/trace/tracer.js';
import type { TracingSettings } from '../observe/trace/tracing-settings.js';

export interface StartedSidecar {
  /** the mesh listener now (a reload of sidecar.listen re-binds it) */
  readonly listener: Listener;
  readonly registrar: Registrar;
  readonly registry: EndpointRegistry;
  /** the local upstream ports now (a reload adds and removes some) */
  readonly upstreams: readonly StartedEdge[];
  /** the current one (a reload of mesh.authorize makes or stops it) */
  readonly authorizer: NativeIntentions | undefined;
  readonly tracer: MeshTracer | null;
  /**
   * A reload's sidecar.listen and sidecar.advertise: a changed address is bound now (one that cannot
   * be bound fails the reload naming sidecar.listen); commit registers the new address and port in
   * Consul and drains the old listener a moment later (its connections finish).
   */
  prepareListen(file: string, listen: string, advertise: string | undefined, drainMs: number): Promise<PreparedReload>;
  /**
   * A reload's mesh.authorize: turned on, a new intention watch starts at commit (requests are
   * refused MG_AUTHZ_UNAVAILABLE until its first table, as at start); turned off, the next request
   * is not checked and the watch stops. Without mesh TLS there is no peer to authorize: no-op.
   */
  prepareAuthorize(authorize: boolean, defaultIntentionPolicy: 'allow' | 'deny' | undefined): PreparedReload;
  /**
   * A reload's sidecar.services and sidecar.upstreams. Prepare compiles the local targets and binds
   * the new upstream ports (a port that cannot be bound, or a service name the agent has no mesh
   * certificate for, fails the reload naming its YAML path); commit swaps the targets, updates the
   * registrations in Consul, drains the upstream ports no longer listed and leaves unchanged ones
   * untouched.
   */
  prepareReload(file: string, next: SidecarSection, drainMs: number): Promise<PreparedReload>;
}

export interface SidecarParams {
  readonly sidecar: SidecarSection;
  readonly listen: string;
  readonly consul: ConsulClient;
  readonly log: Logger;
  readonly accessLog: AccessLog;
  readonly metrics: Metrics;
  readonly meshTls: MeshTls | undefined;
  readonly identity: string;
  readonly authorize: boolean;
  /** mesh.default_intention_policy: the decision when no intention matches */
  readonly defaultIntentionPolicy?: 'allow' | 'deny';
  readonly requestId: () => string;
  /** consul.pool_guard, for the local upstreams' pools */
  readonly poolGuard?: PoolGuardPolicy;
  /** consul.failover_datacenters, for the local upstreams' pools */
  readonly failover?: readonly string[];
  readonly tracing?: TracingSettings | null;
  /** agent.upstream_keepalive_timeout, in ms */
  readonly upstreamKeepAliveMs?: number;
}

const EVERYONE = ['0.0.0.0/0', '::/0'];
/** after a re-bind, how long the old mesh listener keeps accepting while watchers see the new port */
const MOVE_GRACE_MS = 1000;

/**
 * How long the mesh listener keeps an idle connection from another agent: 10 s past the callers'
 * own agent.upstream_keepalive_timeout (this agent's, the same by default), so the caller closes
 * it first (no request sent on a connection the listener is closing) and a burst after an idle
 * minute finds the hop's connections open (test/bench/cold-start.mjs).
 */
export function meshIdleTimeoutMs(upstreamKeepAliveMs: number = UPSTREAM_KEEPALIVE_TIMEOUT_MS): number {
  return upstreamKeepAliveMs + 10_000;
}

export async function startSidecar(p: SidecarParams): Promise<StartedSidecar> {
  const { sidecar, meshTls, log } = p;
  const registry = new EndpointRegistry(p.upstreamKeepAliveMs);
  const h2Sessions = new H2Sessions();
  let services = sidecar.services;
  const targets = { current: localTargets(compileLocalTargets(services, registry, p.metrics, h2Sessions)) };
  const at = parseHostPort(p.listen);
  const serviceNames = [...new Set(sidecar.services.map((s) => s.name))];

  let tlsOptions: Parameters<typeof listen>[3];
  if (meshTls) {
    const waiting = setInterval(() => log.warn('waiting for mesh certificates from Consul before opening the mesh listener'), 5000);
    await meshTls.ready;
    clearInterval(waiting);
    tlsOptions = {
      // ALPN h2: gRPC calls from other agents arrive as HTTP/2; everything else stays HTTP/1.1
      options: { ...meshTls.serverOptions(serviceNames), ALPNProtocols: ['h2', 'http/1.1'] },
      prepare: (server: import('node:https').Server) => { guardMeshServer(server, meshTls, log); meshTls.attachServer(server, serviceNames[0]!); },
    };
  }
  const tracer = p.tracing ? new (await loadTracerModule()).MeshTracer('sidecar', p.tracing, log.child({ part: 'tracing' }), {
    inc: (reason, n) => p.metrics.traceSpansDropped.labels(reason).inc(n),
  }) : null;
  const newAuthorizer = (defaultPolicy: 'allow' | 'deny' | undefined) => {
    const a = new NativeIntentions(p.consul, log.child({ part: 'intentions' }), defaultPolicy ? { defaultPolicy } : {});
    a.start().catch((err: Error) => log.error({ err: err.message }, 'intentions failed to start'));
    return a;
  };
  const authorizer = { current: meshTls && p.authorize ? newAuthorizer(p.defaultIntentionPolicy) : undefined };
  const tunnels = p.metrics.tunnels.forRole('sidecar');
  const openMesh = async (host: string, port: number): Promise<Listener> => {
    const l = await listen(host, port, (localPort) => {
      const role = createSidecarRole({
        targets, log: p.accessLog, events: log, requestId: p.requestId, localPort,
        // mTLS peers are authenticated agents: their X-Forwarded-* can be believed
        trusted: new TrustedProxies(meshTls ? EVERYONE : LOOPBACK_CIDRS), mtls: meshTls !== undefined, authorizer, tracer,
      });
      return { request: createPipeline(role), upgrade: createUpgradeEntry(role, tunnels) };
    }, tlsOptions, { ...DEFAULT_LIMITS, keepAliveTimeoutMs: meshIdleTimeoutMs(p.upstreamKeepAliveMs) }, {}, createEdgeHttp2(HTTP2_DEFAULTS, log.child({ part: 'mesh-h2' }), p.metrics));
    log.info({ listen: `${host}:${l.port}`, services: [...targets.current.byId.keys()], mtls: meshTls !== undefined }, 'sidecar listening');
    return l;
  };
  let listenAt = p.listen;
  let listener = await openMesh(at.host, at.port);

  const openUpstream = async (u: UpstreamSpec): Promise<BoundUpstream> => ({
    spec: u,
    edge: await startEdge({
      listen: u.listen, kong: upstreamDeclarative(u.service), viaSidecars: true, trustedProxies: LOOPBACK_CIDRS, http2: UPSTREAM_PORT_HTTP2,
      consul: p.consul, log: log.child({ upstream: u.service }), accessLog: p.accessLog.child({ upstream: u.service }), metrics: p.metrics,
      mesh: meshTls ? { tls: meshTls, identity: p.identity } : undefined, requestId: p.requestId, strict: false, tracing: p.tracing ?? null,
      ...(p.poolGuard ? { poolGuard: p.poolGuard } : {}), ...(p.failover ? { failover: p.failover } : {}),
      ...(p.upstreamKeepAliveMs ? { upstreamKeepAliveMs: p.upstreamKeepAliveMs } : {}),
    }),
  });
  let bound: BoundUpstream[] = [];
  for (const u of sidecar.upstreams ?? []) bound.push(await openUpstream(u));
  /** read live by readiness, status and the drain */
  const upstreams: StartedEdge[] = bound.map((b) => b.edge);

  let advertise = meshAdvertiseAddress(at.host, sidecar.advertise);
  const registrations = (b: readonly BoundUpstream[]) => sidecarRegistrations(services, { address: advertise, port: listener.port },
    b.map((x) => ({ service: x.spec.service, address: parseHostPort(x.spec.listen).host, port: x.edge.listener.port })));
  const registrar = new Registrar(p.consul, log.child({ part: 'registrar' }), registrations(bound));
  registrar.start();
  return {
    registrar, registry, upstreams, tracer,
    get listener() { return listener; },
    async prepareListen(file, listenNext, advertiseNext, drainMs) {
      const nextAt = parseHostPort(listenNext);
      const nextAdvertise = meshAdvertiseAddress(nextAt.host, advertiseNext);
      if (listenNext === listenAt && nextAdvertise === advertise) return { commit() {}, abort() {} };
      let opened: Listener | undefined;
      if (listenNext !== listenAt) {
        try {
          opened = await openMesh(nextAt.host, nextAt.port);
        } catch (err) {
          throw new ConfigError(file, [{ path: 'sidecar.listen', message: `cannot listen on ${listenNext}: ${(err as Error).message}` }]);
        }
      }
      return {
        commit() {
          const old = opened === undefined ? undefined : listener;
          if (opened !== undefined) [listener, listenAt] = [opened, listenNext];
          advertise = nextAdvertise;
          void registrar.replace(registrations(bound));
          log.info({ listen: `${nextAt.host}:${listener.port}`, advertise }, 'sidecar mesh listener reloaded');
          // callers learn the new port from Consul within moments; the old listener drains after that
          if (old !== undefined) setTimeout(() => void old.drain(drainMs), Math.min(MOVE_GRACE_MS, drainMs)).unref();
        },
        abort() { void opened?.drain(0); },
      };
    },
    get authorizer() { return authorizer.current; },
    prepareAuthorize(authorize, defaultIntentionPolicy) {
      const change = meshTls !== undefined && authorize !== (authorizer.current !== undefined);
      return {
        commit() {
          if (!change) return;
          const old = authorizer.current;
          authorizer.current = authorize ? newAuthorizer(defaultIntentionPolicy) : undefined;
          void old?.stop();
          log.info({ authorize }, 'mesh.authorize reloaded');
        },
        abort() {},
      };
    },
    async prepareReload(file, next, drainMs) {
      // each service name's mesh certificate is asked for at start: a new name needs a restart
      const unknown = meshTls ? next.services.findIndex((s) => !serviceNames.includes(s.name)) : -1;
      if (unknown >= 0) {
        throw new ConfigError(file, [{ path: `sidecar.services[${unknown}].name`, message: 'a service name the sidecar did not start with needs a restart (its mesh certificate is requested at start)' }]);
      }
      const nextUpstreams = next.upstreams ?? [];
      const plan = planUpstreams(bound.map((b) => b.spec), nextUpstreams);
      const opened: BoundUpstream[] = [];
      try {
        for (const i of plan.open) opened.push(await openUpstream(nextUpstreams[i]!));
      } catch (err) {
        await Promise.allSettled(opened.map(closeUpstream));
        const i = plan.open[opened.length]!;
        throw new ConfigError(file, [{ path: `sidecar.upstreams[${i}].listen`, message: `cannot listen: ${(err as Error).message}` }]);
      }
      const servicesChanged = JSON.stringify(next.services) !== JSON.stringify(services);
      const nextTargets = servicesChanged ? localTargets(compileLocalTargets(next.services, registry, p.metrics, h2Sessions)) : targets.current;
      return {
        commit() {
          const closing = bound.filter((_, i) => !plan.keep.includes(i));
          bound = nextUpstreams.map((_, i) => {
            const kept = plan.kept.get(i);
            return kept !== undefined ? bound[kept]! : opened[plan.open.indexOf(i)]!;
          });
          upstreams.splice(0, upstreams.length, ...bound.map((b) => b.edge));
          services = next.services;
          targets.current = nextTargets;
          if (servicesChanged || opened.length + closing.length > 0) void registrar.replace(registrations(bound));
          for (const c of closing) void c.edge.listener.drain(drainMs).then(() => c.edge.runtime.stop());
          if (opened.length + closing.length > 0) log.info({ opened: opened.map((o) => o.spec), closed: closing.map((c) => c.spec) }, 'sidecar upstreams reloaded');
        },
        abort() { void Promise.allSettled(opened.map(closeUpstream)); },
      };
    },
  };
}

interface BoundUpstream { readonly spec: UpstreamSpec; readonly edge: StartedEdge }

function localTargets(byId: ReadonlyMap<string, LocalTarget>): LocalTargets {
  return { byId, only: byId.size === 1 ? [...byId.values()][0] : undefined };
}

/** a port bound for a reload that did not happen: nothing was sent to it yet */
async function closeUpstream(u: BoundUpstream): Promise<void> {
  await Promise.all([u.edge.listener.drain(0), u.edge.runtime.stop()]);
}
