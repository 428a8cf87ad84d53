// One meshgate process: an edge, a sidecar, or both, from one validated config.
import os from 'node:os';
import type { LevelWithSilent } from 'pino';
import type { LoadedConfig } from './config/load.js';
import { loadConfigFile } from './config/load.js';
import { ConfigError } from './config/config-error.js';
import { parseDurationMs } from './config/duration.js';
import { parseHostPort } from './config/host-port.js';
import { AGENT_DEFAULTS, CONSUL_DEFAULTS, EDGE_DEFAULTS } from '../proto/defaults.js';
import { createAdminServer } from './admin/admin-server.js';
import { ConsulClient } from './discovery/consul-client.js';
import { EdgeRuntime } from './edge/edge-runtime.js';
import { createEdgeHandler } from './edge/edge-handler.js';
import { listen, type Listener } from './http-listener.js';
import { createRootLogger } from './observe/log.js';
import { Metrics } from './observe/metrics.js';
import { EndpointRegistry } from './pool/endpoint-registry.js';
import { createRequestIdSource } from './proxy/request-id.js';
import { LOOPBACK_CIDRS, TrustedProxies } from './proxy/trusted-proxies.js';
import { createSidecarHandler } from './sidecar/sidecar-handler.js';
import { compileLocalTargets } from './sidecar/local-targets.js';
import { Registrar } from '../registrar/registrar.js';
import { statusReport } from './status.js';

export interface AgentOverrides {
  readonly listen?: string;
  readonly admin?: string;
  readonly consul?: string;
}

export async function runAgent(file: string, loaded: LoadedConfig, overrides: AgentOverrides): Promise<number> {
  const cfg = loaded.config;
  const node = cfg.agent?.node ?? os.hostname();
  const roles = [cfg.edge ? 'edge' : '', cfg.sidecar ? 'sidecar' : ''].filter(Boolean).join('+');
  const log = createRootLogger((cfg.agent?.log_level ?? AGENT_DEFAULTS.log_level) as LevelWithSilent, { node, role: roles });
  const metrics = new Metrics();
  metrics.configReloadSuccess.set(1);
  const consul = new ConsulClient({
    address: overrides.consul ?? cfg.consul?.address ?? CONSUL_DEFAULTS.address,
    ...(cfg.consul?.token ? { token: cfg.consul.token } : {}),
    ...(cfg.consul?.datacenter ? { datacenter: cfg.consul.datacenter } : {}),
  });
  const nextId = createRequestIdSource();
  const drainMs = parseDurationMs(cfg.agent?.drain_timeout ?? AGENT_DEFAULTS.drain_timeout);
  const started = Date.now();

  let edge: { runtime: EdgeRuntime; listener: Listener } | undefined;
  if (cfg.edge) {
    const runtime = new EdgeRuntime(cfg.edge.kong, cfg.edge.via_sidecars ?? true, consul, log.child({ component: 'edge' }), metrics);
    const at = parseHostPort(overrides.listen ?? cfg.edge.listen ?? EDGE_DEFAULTS.listen);
    const trusted = new TrustedProxies(cfg.edge.trusted_proxies ?? []);
    const accessLog = log.child({ component: 'access' });
    const listener = await listen(at.host, at.port, (req, res) => handler(req, res));
    const handler = createEdgeHandler({ table: () => runtime.table, trusted, log: accessLog, requestId: nextId, localPort: listener.port, proto: 'http' });
    edge = { runtime, listener };
    log.info({ listen: `${at.host}:${listener.port}`, routes: runtime.table.routes.length }, 'edge listening');
  }

  let sidecar: { listener: Listener; registrar: Registrar; registry: EndpointRegistry } | undefined;
  if (cfg.sidecar) {
    const registry = new EndpointRegistry();
    const targets = compileLocalTargets(cfg.sidecar.services, registry, metrics);
    const at = parseHostPort(overrides.listen && !cfg.edge ? overrides.listen : cfg.sidecar.listen);
    const trusted = new TrustedProxies(LOOPBACK_CIDRS);
    const listener = await listen(at.host, at.port, (req, res) => handler(req, res));
    const handler = createSidecarHandler({ targets, trusted, log: log.child({ component: 'access' }), requestId: nextId, localPort: listener.port, draining: listener.draining });
    const advertise = cfg.sidecar.advertise ?? (at.host === '0.0.0.0' || at.host === '::' ? '127.0.0.1' : at.host);
    const registrar = new Registrar(consul, log.child({ component: 'registrar' }), {
      services: cfg.sidecar.services, mesh: { address: advertise, port: listener.port },
    });
    registrar.start();
    sidecar = { listener, registrar, registry };
    log.info({ listen: `${at.host}:${listener.port}`, services: [...targets.keys()] }, 'sidecar listening');
  }

  let shuttingDown = false;
  const ready = () => !shuttingDown && (!edge || edge.runtime.table.loaded) && (!sidecar || sidecar.registrar.registered);
  const adminAt = parseHostPort(overrides.admin ?? cfg.agent?.admin ?? AGENT_DEFAULTS.admin);
  const admin = createAdminServer({
    ready, registry: metrics.registry,
    status: () => statusReport({ node, roles, startedAt: started, ready: ready(), edge: edge?.runtime, sidecarDraining: sidecar?.listener.draining() }),
  });
  await new Promise<void>((resolve, reject) => { admin.once('error', reject); admin.listen(adminAt.port, adminAt.host, resolve); });
  const stalenessTimer = setInterval(() => {
    for (const w of edge?.runtime.discovery?.status() ?? []) metrics.watcherStaleness.labels(w.name).set(Number.isFinite(w.ageMs) ? w.ageMs / 1000 : -1);
  }, 1000);
  stalenessTimer.unref();
  log.info({ admin: `${adminAt.host}:${(admin.address() as { port: number }).port}` }, 'admin listening');

  const reload = async () => {
    if (!edge) return;
    try {
      const next = await loadConfigFile(file);
      if (!next.config.edge) throw new ConfigError(file, [{ path: 'edge', message: 'cannot be removed by a reload' }]);
      edge.runtime.applyConfig(next.config.edge.kong, next.config.edge.via_sidecars ?? true);
      metrics.configReloadSuccess.set(1);
      log.info({ routes: edge.runtime.table.routes.length }, 'config reloaded');
    } catch (err) {
      metrics.configReloadSuccess.set(0);
      log.error({ err: err instanceof ConfigError ? err.message : String(err) }, 'config reload rejected; keeping the running config');
    }
  };
  process.on('SIGHUP', () => void reload());

  return new Promise<number>((resolve) => {
    const shutdown = async (signal: string) => {
      if (shuttingDown) return;
      shuttingDown = true;
      log.info({ signal, drainMs }, 'draining');
      if (sidecar) {
        await sidecar.registrar.enterMaintenance(`meshgate ${signal}`);
        // let watchers see the maintenance before the listener stops
        await new Promise((r) => setTimeout(r, Math.min(1000, drainMs)));
      }
      await Promise.all([edge?.listener.drain(drainMs), sidecar?.listener.drain(drainMs)]);
      await sidecar?.registrar.deregister();
      await Promise.allSettled([edge?.runtime.stop(), sidecar?.registry.close(), consul.close()]);
      admin.close();
      admin.closeAllConnections();
      clearInterval(stalenessTimer);
      log.info('stopped');
      log.flush();
      resolve(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  });
}
