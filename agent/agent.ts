// One meshgate process: an edge, a sidecar, or both, from one validated config.
import os from 'node:os';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { LevelWithSilent } from 'pino';
import type { LoadedConfig } from './config/load.js';
import { loadConfigFile } from './config/load.js';
import { ConfigError } from './config/config-error.js';
import { parseDurationMs } from '../proto/duration.js';
import { parseHostPort } from './config/host-port.js';
import { reportRestartSections, RESTART_WARNING } from './config/reload-scope.js';
import { AGENT_DEFAULTS } from '../proto/defaults.js';
import { createAdminServer } from './admin/admin-server.js';
import { AdminRoutes } from './admin/admin-routes.js';
import { agentConsulClient } from './discovery/consul-acl.js';
import { consulSettings, prepareConsulReload } from './discovery/consul-reload.js';
import type { ConsulClient } from '../registrar/consul-client.js';
import { poolGuardPolicy, type StartedEdge } from './edge/start-edge.js';
import { EdgePeers } from './edge/edge-peers.js';
import { createLoggers } from './observe/log.js';
import { hasNodeFlags, NODE_FLAGS } from './node-flags.js';
import { settleHeap } from './startup-heap.js';
import { Metrics } from './observe/metrics.js';
import { createRequestIdSource } from './proxy/request-id.js';
import { startSidecar, type StartedSidecar } from './sidecar/start-sidecar.js';
import { outboundIdentity, startMeshTls } from './transport/start-mesh-tls.js';
import { statusReport } from './status.js';
import type { EdgeCertificates } from './edge/tls/edge-certificates.js';
import { applyDiscoveryPolicy, edgeListenAddresses, prepareEdgeListen, prepareEdgeReload, type PreparedReload } from './edge/edge-reload.js';
import { startConfiguredEdge } from './edge/edge-from-config.js';

import { tracingFromAgent } from './observe/trace/tracing-settings.js';

export interface AgentOverrides {
  readonly listen?: string;
  readonly admin?: string;
  readonly consul?: string;
  readonly listenTls?: string;
}

export async function runAgent(file: string, loaded: LoadedConfig, overrides: AgentOverrides): Promise<number> {
  const cfg = loaded.config;
  const node = cfg.agent?.node ?? os.hostname();
  const roles = [cfg.edge ? 'edge' : '', cfg.sidecar ? 'sidecar' : ''].filter(Boolean).join('+');
  const { root: log, access: accessLog, flush: flushLogs } = createLoggers((cfg.agent?.log_level ?? AGENT_DEFAULTS.log_level) as LevelWithSilent, { node, role: roles });
  const metrics = new Metrics();
  metrics.configReloadSuccess.set(1);
  const consul = agentConsulClient(file, cfg, overrides.consul, log, metrics);
  const requestId = createRequestIdSource();
  const drainMs = parseDurationMs(cfg.agent?.drain_timeout ?? AGENT_DEFAULTS.drain_timeout);
  const started = Date.now();
  if (!hasNodeFlags()) {
    log.info({ recommended: NODE_FLAGS.join(' ') }, 'node runs without meshgate\'s V8 flags: bursts after idle spells are served slower (see README, "Running meshgate")');
  }
  // a plain decK file is Kong-style: no sidecars behind it, so no mesh TLS either
  const meshTls = loaded.deckOnly ? undefined : startMeshTls(cfg, consul, log.child({ component: 'mesh-tls' }), metrics);
  const identity = outboundIdentity(cfg);

  const adminRoutes = new AdminRoutes();
  const tracing = cfg.agent?.tracing ? tracingFromAgent(cfg.agent.tracing, parseDurationMs) : null;
  let edge: StartedEdge | undefined;
  let certificates: EdgeCertificates | undefined;
  let peers: EdgePeers | undefined;
  let clusterSize = () => 1;
  /** this edge's registration, for the port it listens on now (a reload may move it) */
  const registerEdge = (e: StartedEdge, listenAt: string) => {
    peers = new EdgePeers(consul, log.child({ component: 'edge-peers' }), node, parseHostPort(listenAt).host, e.listener.port);
    clusterSize = peers.size;
    peers.start();
  };
  if (cfg.edge) {
    const configured = await startConfiguredEdge({
      file, loaded, overrides, node, log, accessLog, metrics, consul, mesh: meshTls ? { tls: meshTls, identity } : undefined, requestId,
      admin: adminRoutes, clusterSize: () => clusterSize(),
    });
    ({ edge, certificates } = configured);
    // a plain decK file is Kong-style and may run without Consul: no self-registration
    if (!loaded.deckOnly) registerEdge(edge, configured.listenAt);
  }

  let shuttingDown = false;
  /** the mesh listener's address: --listen wins for a sidecar-only agent */
  const sidecarListen = (c: typeof cfg) => (overrides.listen && !c.edge ? overrides.listen : c.sidecar!.listen);
  let sidecar: StartedSidecar | undefined;
  const meshReady = () => meshTls === undefined || meshTls.material !== undefined;
  const ready = () => !shuttingDown && meshReady() && (!edge || edge.runtime.table.loaded)
    && (!cfg.sidecar || (sidecar !== undefined && sidecar.registrar.registered && sidecar.upstreams.every((u) => u.runtime.table.loaded)));
  const adminAt = parseHostPort(overrides.admin ?? cfg.agent?.admin ?? AGENT_DEFAULTS.admin);
  const admin = createAdminServer({
    ready, registry: metrics.registry, routes: adminRoutes,
    status: () => statusReport({
      node, roles, startedAt: started, ready: ready(), edge: edge?.runtime, sidecarDraining: sidecar?.listener.draining(),
      upstreams: sidecar?.upstreams.map((u) => u.runtime), mesh: meshTls?.material, identity,
    }),
  });
  await new Promise<void>((resolve, reject) => { admin.once('error', reject); admin.listen(adminAt.port, adminAt.host, resolve); });
  log.info({ admin: `${adminAt.host}:${(admin.address() as { port: number }).port}` }, 'admin listening');

  if (cfg.sidecar) {
    sidecar = await startSidecar({
      sidecar: cfg.sidecar, listen: sidecarListen(cfg), consul,
      log: log.child({ component: 'sidecar' }), accessLog, metrics, meshTls, identity, authorize: cfg.mesh?.authorize ?? true, requestId,
      ...(cfg.consul?.pool_guard ? { poolGuard: poolGuardPolicy(cfg.consul.pool_guard)! } : {}),
      ...(cfg.consul?.failover_datacenters ? { failover: cfg.consul.failover_datacenters } : {}),
      ...(cfg.mesh?.default_intention_policy ? { defaultIntentionPolicy: cfg.mesh.default_intention_policy } : {}),
      tracing, upstreamKeepAliveMs: parseDurationMs(cfg.agent?.upstream_keepalive_timeout ?? AGENT_DEFAULTS.upstream_keepalive_timeout),
    });
  }

  const runtimes = () => [edge?.runtime, ...(sidecar?.upstreams.map((u) => u.runtime) ?? [])];
  const stalenessTimer = setInterval(() => {
    for (const rt of runtimes()) {
      for (const w of rt?.discovery?.status() ?? []) metrics.watcherStaleness.labels(w.name).set(Number.isFinite(w.ageMs) ? w.ageMs / 1000 : -1);
    }
  }, 1000);
  stalenessTimer.unref();

  settleHeap(log);
  let appliedConsul = consulSettings(cfg, overrides.consul);
  const leaveConsul = (previous: ConsulClient) => Promise.all([sidecar?.registrar.leave(previous), peers?.registrar.leave(previous)]);
  const reloadOnce = async () => {
    try {
      const next = await loadConfigFile(file);
      // everything is compiled, checked and bound before anything is swapped: a failure keeps all of the running config
      const consulSwap = prepareConsulReload(file, appliedConsul, next.config, overrides.consul, consul, log.child({ component: 'consul' }), leaveConsul);
      let edgeSwap: PreparedReload | undefined;
      let listenSwap: PreparedReload | undefined;
      let sidecarSwap: PreparedReload | undefined;
      let meshListenSwap: PreparedReload | undefined;
      try {
        const nextSidecar = next.config.sidecar;
        sidecarSwap = sidecar && nextSidecar ? await sidecar.prepareReload(file, nextSidecar, drainMs) : undefined;
        meshListenSwap = sidecar && nextSidecar ? await sidecar.prepareListen(file, sidecarListen(next.config), nextSidecar.advertise, drainMs) : undefined;
        listenSwap = edge ? await prepareEdgeListen(file, edge, next, overrides, drainMs) : undefined;
        edgeSwap = edge ? prepareEdgeReload(file, edge, certificates, next) : undefined;
      } catch (err) { consulSwap.abort(); sidecarSwap?.abort(); meshListenSwap?.abort(); listenSwap?.abort(); throw err; }
      edgeSwap?.commit();
      await edge?.runtime.tracerReady();
      sidecarSwap?.commit();
      meshListenSwap?.commit();
      for (const u of sidecar?.upstreams ?? []) applyDiscoveryPolicy(u.runtime, next.config);
      const portBefore = edge?.listener.port;
      listenSwap?.commit();
      if (edge && peers && edge.listener.port !== portBefore) {
        // registered again for the new port; the old registration goes
        const old = peers;
        void old.registrar.deregister().then(() => old.stop());
        registerEdge(edge, edgeListenAddresses(next.config.edge!, overrides).listen);
      }
      consulSwap.commit();
      appliedConsul = consulSettings(next.config, overrides.consul);
      // new handshakes from now on; the intention table is compiled again with the new default
      meshTls?.setMinVersion(next.config.mesh?.min_tls_version ?? '1.3');
      void sidecar?.authorizer?.setDefaultPolicy(next.config.mesh?.default_intention_policy);
      sidecar?.prepareAuthorize(next.config.mesh?.authorize ?? true, next.config.mesh?.default_intention_policy).commit();
      metrics.configReloadSuccess.set(1);
      log.info({ routes: edge?.runtime.table.routes.length ?? 0 }, 'config reloaded');
      settleHeap(log);
      reportRestartSections(cfg, next.config, metrics.configRestartRequired, (sections) => log.warn({ sections }, RESTART_WARNING));
    } catch (err) {
      metrics.configReloadSuccess.set(0);
      log.error({ err: err instanceof ConfigError ? err.message : String(err) }, 'config reload rejected; keeping the running config');
    }
  };
  // one reload at a time: a SIGHUP and the file watch seeing the same change run one after the other
  let reloads = Promise.resolve();
  const reload = () => { reloads = reloads.then(reloadOnce); };
  process.on('SIGHUP', reload);
  // a change of the file reloads it too (polling: works on every filesystem and with editors that replace files)
  const onFileChange = (cur: Stats, prev: Stats) => { if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) reload(); };
  watchFile(file, { interval: 1000 }, onFileChange);

  return new Promise<number>((resolve) => {
    const shutdown = async (signal: string) => {
      if (shuttingDown) return;
      shuttingDown = true;
      log.info({ signal, drainMs }, 'draining');
      await peers?.registrar.enterMaintenance(`meshgate ${signal}`);
      if (sidecar) {
        await sidecar.registrar.enterMaintenance(`meshgate ${signal}`);
        // let watchers see the maintenance before the listener stops
        await new Promise((r) => setTimeout(r, Math.min(1000, drainMs)));
      }
      await Promise.all([edge?.listener.drain(drainMs), edge?.tlsListener?.drain(drainMs), sidecar?.listener.drain(drainMs), ...(sidecar?.upstreams.map((u) => u.listener.drain(drainMs)) ?? [])]);
      await Promise.all([sidecar?.registrar.deregister(), peers?.registrar.deregister(), peers?.stop()]);
      await Promise.allSettled([
        ...runtimes().map((rt) => rt?.stop()), sidecar?.registry.close(), sidecar?.tracer?.shutdown(), sidecar?.authorizer?.stop(), meshTls?.stop(),
      ]);
      await consul.close();
      admin.close();
      admin.closeAllConnections();
      clearInterval(stalenessTimer);
      unwatchFile(file, onFileChange);
      certificates?.stop();
      log.info('stopped');
      flushLogs();
      resolve(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  });
}
