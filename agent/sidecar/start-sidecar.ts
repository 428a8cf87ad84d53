// A sidecar: the mesh listener (mTLS unless disabled) in front of the local instances, their
// registration with Consul, intentions, and the local upstream ports.
import type { Logger } from 'pino';
import type { PoolGuardPolicy } from '../discovery/pool-guard.js';
import type { AccessLog } from '../observe/access-log.js';
import type { SidecarSection } from '../../proto/config-schema.js';
import { parseHostPort } from '../config/host-port.js';
import type { ConsulClient } from '../../registrar/consul-client.js';
import { startEdge, upstreamDeclarative, type StartedEdge } from '../edge/start-edge.js';
import { DEFAULT_LIMITS, listen, type Listener } from '../http-listener.js';
import { createEdgeHttp2, HTTP2_DEFAULTS } from '../edge/h2/h2-server.js';
import { H2Sessions } from '../proxy/h2-upstream-sessions.js';
import type { Metrics } from '../observe/metrics.js';
import { EndpointRegistry } from '../pool/endpoint-registry.js';
import { LOOPBACK_CIDRS, TrustedProxies } from '../proxy/trusted-proxies.js';
import { NativeIntentions } from '../intentions/native-intentions.js';
import { guardMeshServer } from '../transport/mesh-server.js';
import type { MeshTls } from '../transport/mesh-tls.js';
import { Registrar, sidecarRegistrations } from '../../registrar/registrar.js';
import { meshAdvertiseAddress } from '../../registrar/registration.js';
import { compileLocalTargets } from './local-targets.js';
import { createPipeline } from '../pipeline/request-pipeline.js';
import { createUpgradeEntry } from '../pipeline/upgrade-entry.js';
import { createSidecarRole } from './sidecar-role.js';
import { MeshTracer } from '../observe/trace/tracer.js';
import type { TracingSettings } from '../observe/trace/tracing-settings.js';

export interface StartedSidecar {
  readonly listener: Listener;
  readonly registrar: Registrar;
  readonly registry: EndpointRegistry;
  readonly upstreams: readonly StartedEdge[];
  readonly authorizer: NativeIntentions | undefined;
  readonly tracer: MeshTracer | null;
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
}

const EVERYONE = ['0.0.0.0/0', '::/0'];

export async function startSidecar(p: SidecarParams): Promise<StartedSidecar> {
  const { sidecar, meshTls, log } = p;
  const registry = new EndpointRegistry();
  const h2Sessions = new H2Sessions();
  const targets = compileLocalTargets(sidecar.services, registry, p.metrics, h2Sessions);
  const at = parseHostPort(p.listen);
  const serviceNames = [...new Set(sidecar.services.map((s) => s.name))];

  let tlsOptions;
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
  const tracer = p.tracing ? new MeshTracer('sidecar', p.tracing, log.child({ part: 'tracing' }), {
    inc: (reason, n) => p.metrics.traceSpansDropped.labels(reason).inc(n),
  }) : null;
  const authorizer = meshTls && p.authorize
    ? new NativeIntentions(p.consul, log.child({ part: 'intentions' }), p.defaultIntentionPolicy ? { defaultPolicy: p.defaultIntentionPolicy } : {})
    : undefined;
  authorizer?.start().catch((err: Error) => log.error({ err: err.message }, 'intentions failed to start'));
  const tunnels = p.metrics.tunnels.forRole('sidecar');
  const listener = await listen(at.host, at.port, (localPort) => {
    const role = createSidecarRole({
      targets, log: p.accessLog, events: log, requestId: p.requestId, localPort,
      // mTLS peers are authenticated agents: their X-Forwarded-* can be believed
      trusted: new TrustedProxies(meshTls ? EVERYONE : LOOPBACK_CIDRS), mtls: meshTls !== undefined, authorizer, tracer,
    });
    return { request: createPipeline(role), upgrade: createUpgradeEntry(role, tunnels) };
  }, tlsOptions, DEFAULT_LIMITS, {}, createEdgeHttp2(HTTP2_DEFAULTS, log.child({ part: 'mesh-h2' }), p.metrics));
  log.info({ listen: `${at.host}:${listener.port}`, services: [...targets.keys()], mtls: meshTls !== undefined }, 'sidecar listening');

  const upstreams: StartedEdge[] = [];
  for (const u of sidecar.upstreams ?? []) {
    upstreams.push(await startEdge({
      listen: u.listen, kong: upstreamDeclarative(u.service), viaSidecars: true, trustedProxies: LOOPBACK_CIDRS,
      consul: p.consul, log: log.child({ upstream: u.service }), accessLog: p.accessLog.child({ upstream: u.service }), metrics: p.metrics,
      mesh: meshTls ? { tls: meshTls, identity: p.identity } : undefined, requestId: p.requestId, strict: false, tracing: p.tracing ?? null,
      ...(p.poolGuard ? { poolGuard: p.poolGuard } : {}), ...(p.failover ? { failover: p.failover } : {}),
    }));
  }

  const advertise = meshAdvertiseAddress(at.host, sidecar.advertise);
  const registrar = new Registrar(p.consul, log.child({ part: 'registrar' }), sidecarRegistrations(
    sidecar.services, { address: advertise, port: listener.port },
    (sidecar.upstreams ?? []).map((u, i) => ({ service: u.service, address: parseHostPort(u.listen).host, port: upstreams[i]!.listener.port })),
  ));
  registrar.start();
  return { listener, registrar, registry, upstreams, authorizer, tracer };
}
