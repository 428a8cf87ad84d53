// One worker of a multi-process edge (node:cluster). It serves the edge listeners the primary
// hands connections to; its config, pools, mesh certificates and local rate-limit counts come
// from the primary over IPC, so the agent keeps one set of Consul watchers and exact policies.
import { settleHeap } from '../startup-heap.js';
import os from 'node:os';
import type { LevelWithSilent } from 'pino';
import { AGENT_DEFAULTS, CONSUL_DEFAULTS } from '../../proto/defaults.js';
import { parseDurationMs } from '../../proto/duration.js';
import { ConsulClient } from '../../registrar/consul-client.js';
import { AdminRoutes } from '../admin/admin-routes.js';
import { ConfigError } from '../config/config-error.js';
import { startConfiguredEdge } from '../edge/edge-from-config.js';
import type { StartedEdge } from '../edge/start-edge.js';
import { prepareEdgeReload, type PreparedReload } from '../edge/edge-reload.js';
import { createLoggers } from '../observe/log.js';
import { Metrics } from '../observe/metrics.js';
import { followBreaker, useBreakerShare } from '../plugins/circuit-breaker/circuit-breaker.js';
import { shareMemoryBound } from '../plugins/proxy-cache/memory-store.js';
import { useLocalCounters } from '../plugins/rate-limiting/local-store.js';
import { createRequestIdSource } from '../proxy/request-id.js';
import { statusReport } from '../status.js';
import { MeshTls } from '../transport/mesh-tls.js';
import { outboundIdentity } from '../transport/start-mesh-tls.js';
import { IpcCounters, IpcTlsSource } from './ipc-shared-state.js';
import { PrimaryLink } from './primary-link.js';
import { RemotePools } from './remote-pools.js';

export interface WorkerAnswer {
  readonly requests: number;
  readonly loaded: boolean;
  readonly poolLagMs: number;
  readonly report: unknown;
}

export async function runWorker(): Promise<number> {
  const link = new PrimaryLink();
  // the agent-wide state kinds, swapped in before any config is compiled
  const pools = new RemotePools(link);
  useLocalCounters(new IpcCounters(link));
  useBreakerShare({ changed: (service, state) => link.send({ mg: 'breaker', service, state }) });
  link.on('breaker', (m) => followBreaker(m.service, m.state, Date.now()));
  const initMessage = link.first('init');
  link.send({ mg: 'hello' });
  const init = await initMessage;
  shareMemoryBound(init.workers);
  const { file } = init.loaded;
  const loaded = { config: init.loaded.config, deckOnly: init.loaded.deckOnly };
  const cfg = loaded.config;
  const node = cfg.agent?.node ?? os.hostname();
  const level = (cfg.agent?.log_level ?? AGENT_DEFAULTS.log_level) as LevelWithSilent;
  const { root: log, access: accessLog, flush } = createLoggers(level, { node, role: 'edge', worker: init.index }, { sharedDescriptor: true });
  const metrics = new Metrics();
  const consul = new ConsulClient({ address: init.overrides.consul ?? cfg.consul?.address ?? CONSUL_DEFAULTS.address });
  // a worker asks Consul nothing (the primary watches): counted anyway, so /metrics would show it if it did
  metrics.consulStats = consul.stats;
  const meshOff = loaded.deckOnly || cfg.mesh?.tls === 'disabled';
  const meshTls = meshOff ? undefined : new MeshTls(new IpcTlsSource(link), cfg.mesh?.min_tls_version ?? '1.3', log.child({ component: 'mesh-tls' }));
  meshTls?.start();
  const started = Date.now();
  let serving: StartedEdge | undefined;
  let toldLoaded: boolean | null = null;
  /** the primary's /ready: this worker listens and its table has every pool's first answer */
  const tellLoaded = () => {
    if (serving === undefined) return;
    const loadedNow = serving.runtime.table.loaded;
    if (loadedNow !== toldLoaded) { toldLoaded = loadedNow; link.send({ mg: 'ready', port: serving.listener.port, loaded: loadedNow }); }
  };
  const admin = new AdminRoutes();
  const { edge, certificates } = await startConfiguredEdge({
    file, loaded, overrides: init.overrides, node, log, accessLog, metrics, consul,
    mesh: meshTls ? { tls: meshTls, identity: outboundIdentity(cfg) } : undefined, requestId: createRequestIdSource(),
    admin, clusterSize: () => pools.clusterSize,
    worker: {
      poolSource: (onChange) => pools.attach(() => { onChange(); tellLoaded(); }),
      onEjected: (key, untilMs) => link.send({ mg: 'ejected', key, untilMs }),
    },
  });
  settleHeap(log);
  link.on('ejected', (m) => edge.runtime.followEjection(m.key, m.untilMs));
  serving = edge;
  tellLoaded();

  // a reload in two steps: compile and say so, then swap when the primary says every worker could
  let prepared: { gen: number; reload: PreparedReload; minTls: '1.2' | '1.3' } | null = null;
  link.on('prepare', (m) => {
    prepared?.reload.abort();
    prepared = null;
    try {
      prepared = {
        gen: m.gen, reload: prepareEdgeReload(file, edge, certificates, { config: m.loaded.config, deckOnly: m.loaded.deckOnly }),
        minTls: m.loaded.config.mesh?.min_tls_version ?? '1.3',
      };
      link.send({ mg: 'prepared', gen: m.gen, error: null });
    } catch (err) {
      link.send({ mg: 'prepared', gen: m.gen, error: err instanceof ConfigError ? err.message : String(err) });
    }
  });
  link.on('commit', (m) => {
    if (prepared?.gen !== m.gen) return;
    prepared.reload.commit();
    meshTls?.setMinVersion(prepared.minTls);
    prepared = null;
    tellLoaded();
    // a config that turns tracing on first loads the SDK (load-tracer.ts)
    void edge.runtime.tracerReady().then(() => link.send({ mg: 'committed', gen: m.gen }));
  });
  link.on('abort', (m) => { if (prepared?.gen === m.gen) { prepared.reload.abort(); prepared = null; } });

  // the explain report and the plugins' endpoints: the primary's admin listener relays them here
  link.on('admin', (m) => {
    const failed = (err: unknown) => ({ reply: { status: 500, body: { message: (err as Error).message } }, spread: { across: 'one' } as const });
    void admin.answer(m.call).catch(failed).then((body) => link.send({ mg: 'answer', id: m.id, body }));
  });

  link.on('ask', (m) => {
    if (m.what === 'metrics') {
      void metrics.registry.getMetricsAsJSON().then((body) => link.send({ mg: 'answer', id: m.id, body }));
      return;
    }
    const answer: WorkerAnswer = {
      requests: metrics.requests.answered(), loaded: edge.runtime.table.loaded, poolLagMs: pools.lagMs,
      report: statusReport({
        node, roles: 'edge', startedAt: started, ready: edge.runtime.table.loaded, edge: edge.runtime, sidecarDraining: undefined,
        upstreams: undefined, mesh: meshTls?.material, identity: outboundIdentity(cfg),
      }),
    };
    link.send({ mg: 'answer', id: m.id, body: answer });
  });

  const drainMs = parseDurationMs(cfg.agent?.drain_timeout ?? AGENT_DEFAULTS.drain_timeout);
  return new Promise<number>((resolve) => {
    let draining = false;
    const drain = async (why: string) => {
      if (draining) return;
      draining = true;
      log.info({ why, drainMs }, 'worker draining');
      await Promise.all([edge.listener.drain(drainMs), edge.tlsListener?.drain(drainMs)]);
      await Promise.allSettled([edge.runtime.stop(), meshTls?.stop()]);
      certificates?.stop();
      log.info('worker stopped');
      flush();
      resolve(0);
      // the IPC channel keeps the loop alive; the primary waits for this exit
      setImmediate(() => process.exit(0));
    };
    link.on('drain', () => void drain('primary'));
    // a signal to the whole process group (Ctrl-C, systemd's control-group stop) drains this worker too
    process.once('SIGTERM', () => void drain('SIGTERM'));
    process.once('SIGINT', () => void drain('SIGINT'));
  });
}
