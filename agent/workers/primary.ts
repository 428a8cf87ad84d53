// The primary of a multi-process edge (agent.workers > 1). It serves no request itself: it
// forks the workers (node:cluster; the primary accepts connections and hands them round-robin
// to the workers), runs the agent's one set of Consul watchers, its one registrar and its one
// mesh certificate source, counts local rate limits for all, relays ejections and breaker
// changes, runs the admin listener (relaying to the workers the endpoints only they can answer),
// and reloads (all workers or none) and drains them all.
import cluster from 'node:cluster';
import os from 'node:os';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import type { LevelWithSilent } from 'pino';
import type { AgentOverrides } from '../agent.js';
import type { LoadedConfig } from '../config/load.js';
import { loadConfigFile } from '../config/load.js';
import { ConfigError } from '../config/config-error.js';
import { reportRestartSections, RESTART_WARNING, WORKERS_RESTART_SECTIONS } from '../config/reload-scope.js';
import { parseHostPort } from '../config/host-port.js';
import { AGENT_DEFAULTS, EDGE_DEFAULTS } from '../../proto/defaults.js';
import { parseDurationMs } from '../../proto/duration.js';
import { agentConsulClient } from '../discovery/consul-acl.js';
import { consulSettings, prepareConsulReload, type PreparedConsulReload } from '../discovery/consul-reload.js';
import { createAdminServer } from '../admin/admin-server.js';
import { poolGuardPolicy } from '../edge/start-edge.js';
import { EdgePeers } from '../edge/edge-peers.js';
import { createLoggers } from '../observe/log.js';
import { Metrics } from '../observe/metrics.js';
import { hasNodeFlags, NODE_FLAGS } from '../node-flags.js';
import { sharedLocalCounters } from '../plugins/rate-limiting/local-store.js';
import { meshReport, watcherReport } from '../status.js';
import { outboundIdentity, startMeshTls } from '../transport/start-mesh-tls.js';
import { aggregateAgentMetrics, type MetricJson } from './agent-metrics.js';
import { AdminRelay } from './admin-relay.js';
import { agentStatus, type WorkerReport } from './agent-status.js';
import { countHits } from './ipc-shared-state.js';
import { PoolHub } from './pool-hub.js';
import { materialToWire, type FromWorker, type ToWorker, type WorkerConfig } from './protocol.js';
import { CommitWait, ReloadRound, type RoundOutcome } from './reload-round.js';
import { WorkerSet, type WorkerEntry } from './worker-set.js';

/** how long workers have to compile a reloaded config, and to answer an admin question */
const PREPARE_TIMEOUT_MS = 10_000;
const ASK_TIMEOUT_MS = 2000;

export async function runPrimary(file: string, loaded: LoadedConfig, overrides: AgentOverrides, count: number): Promise<number> {
  const cfg = loaded.config;
  const node = cfg.agent?.node ?? os.hostname();
  const level = (cfg.agent?.log_level ?? AGENT_DEFAULTS.log_level) as LevelWithSilent;
  const { root: log, flush } = createLoggers(level, { node, role: 'edge', worker: 'primary' }, { sharedDescriptor: true });
  const metrics = new Metrics();
  metrics.configReloadSuccess.set(1);
  const consul = agentConsulClient(file, cfg, overrides.consul, log, metrics);
  const drainMs = parseDurationMs(cfg.agent?.drain_timeout ?? AGENT_DEFAULTS.drain_timeout);
  const startedAt = Date.now();
  if (!hasNodeFlags()) log.info({ recommended: NODE_FLAGS.join(' ') }, 'node runs without meshgate\'s V8 flags (see README, "Running meshgate")');
  const meshTls = loaded.deckOnly ? undefined : startMeshTls(cfg, consul, log.child({ component: 'mesh-tls' }), metrics);
  const identity = outboundIdentity(cfg);
  const listenAt = overrides.listen ?? cfg.edge?.listen ?? EDGE_DEFAULTS.listen;

  /** the config every worker runs (a new worker gets it), and its generation */
  let current: WorkerConfig = { file, config: cfg, deckOnly: loaded.deckOnly };
  let generation = 0;
  let round: { readonly r: ReloadRound; readonly done: (o: RoundOutcome) => void } | null = null;
  /** workers that have not yet said they swapped to the committed config */
  let commits: CommitWait | null = null;
  let peers: EdgePeers | undefined;
  let shuttingDown = false;

  const settleRound = () => {
    if (round !== null && round.r.outcome.kind !== 'pending') round.done(round.r.outcome);
  };
  const onMessage = (e: WorkerEntry, m: FromWorker): void => {
    switch (m.mg) {
      case 'want': hub.want(e.index, m.keys); return;
      // one authority for local rate limits: every worker's hit is counted here, in arrival order
      case 'count': set.send(e, { mg: 'counted', results: countHits(sharedLocalCounters, m.hits) }); return;
      case 'peek': set.send(e, { mg: 'peeked', id: m.id, count: sharedLocalCounters.count(m.key, m.nowMs) }); return;
      case 'ejected': set.broadcast({ mg: 'ejected', key: m.key, untilMs: m.untilMs }, e); return;
      case 'breaker': set.broadcast({ mg: 'breaker', service: m.service, state: m.state }, e); return;
      case 'prepared':
        if (round !== null && round.r.gen === m.gen) { round.r.prepared(e.pid, m.error); settleRound(); return; }
        // a worker catching up on the committed config could not compile it: a fresh one will
        if (m.error !== null && m.gen === generation) { log.error({ worker_index: e.index, err: m.error }, 'worker could not take the committed config; replacing it'); e.worker.kill(); }
        return;
      case 'ready':
        // the agent registers once, for its one listening port (whichever worker says it first)
        if (peers === undefined && !loaded.deckOnly && !shuttingDown) {
          peers = new EdgePeers(consul, log.child({ component: 'edge-peers' }), node, parseHostPort(listenAt).host, m.port);
          peers.start();
        }
        return;
      case 'committed': commits?.answered(e.pid, m.gen); return;
      case 'hello': return;
    }
  };
  const set: WorkerSet = new WorkerSet(count, {
    init: (e) => [
      { mg: 'init', index: e.index, workers: count, overrides, loaded: current },
      ...(meshTls?.material ? [{ mg: 'mesh', material: materialToWire(meshTls.material) } as ToWorker] : []),
    ],
    onMessage,
    onExit: (e) => { hub.forget(e.index); round?.r.gone(e.pid); settleRound(); commits?.answered(e.pid, commits.gen); },
  }, log.child({ component: 'workers' }));
  const guard = cfg.consul?.pool_guard ? poolGuardPolicy(cfg.consul.pool_guard) : undefined;
  const hub = new PoolHub(consul, log.child({ component: 'discovery' }), metrics, guard, (m) => set.broadcast(m), () => peers?.size() ?? 1);
  if (meshTls) meshTls.onMaterial = (m) => set.broadcast({ mg: 'mesh', material: materialToWire(m) });

  cluster.schedulingPolicy = cluster.SCHED_RR;
  set.start();
  log.info({ workers: count, listen: listenAt }, 'starting workers');

  const meshReady = () => meshTls === undefined || meshTls.material !== undefined;
  const ready = () => !shuttingDown && meshReady() && set.entries().length === count && set.entries().every((e) => e.listening && e.loaded);
  const askAll = <T>(what: 'status' | 'metrics', fallback: T) =>
    Promise.all(set.entries().map(async (e) => [e, await set.ask(e, what, ASK_TIMEOUT_MS).then((b) => b as T, () => fallback)] as const));
  const adminAt = parseHostPort(overrides.admin ?? cfg.agent?.admin ?? AGENT_DEFAULTS.admin);
  const admin = createAdminServer({
    ready,
    routes: new AdminRelay({ workers: () => set.entries().filter((e) => e.listening), ask: (e, call) => set.askAdmin(e, call, ASK_TIMEOUT_MS) }),
    registry: {
      contentType: metrics.registry.contentType,
      metrics: async () => {
        const workers = await askAll<MetricJson[]>('metrics', []);
        return aggregateAgentMetrics(await metrics.registry.getMetricsAsJSON(), workers.map(([e, m]) => [e.index, m] as const)).metrics();
      },
    },
    status: async () => {
      const answers = await askAll<WorkerReport['answer']>('status', null);
      const reports = answers.map(([e, answer]) => ({ index: e.index, pid: e.pid, started: e.started, answer }));
      return agentStatus(reports, { ready: ready(), startedAt, watchers: watcherReport(hub.discovery.status()), mesh: meshReport(meshTls?.material, identity, Date.now()), spare: set.spare() }, Date.now());
    },
  });
  await new Promise<void>((resolve, reject) => { admin.once('error', reject); admin.listen(adminAt.port, adminAt.host, resolve); });
  log.info({ admin: `${adminAt.host}:${(admin.address() as { port: number }).port}` }, 'admin listening');

  const stalenessTimer = setInterval(() => {
    for (const w of hub.discovery.status()) metrics.watcherStaleness.labels(w.name).set(Number.isFinite(w.ageMs) ? w.ageMs / 1000 : -1);
  }, 1000);
  stalenessTimer.unref();

  let appliedConsul = consulSettings(cfg, overrides.consul);
  /** prepare here and in every worker; commit only if all compiled it, else abort in all */
  const reloadOnce = async () => {
    let consulSwap: PreparedConsulReload | undefined;
    try {
      const next = await loadConfigFile(file);
      if (!next.config.edge) throw new ConfigError(file, [{ path: 'edge', message: 'cannot be removed by a reload' }]);
      // the primary's own part (it owns the watchers and the registrar), checked before the workers are asked
      consulSwap = prepareConsulReload(file, appliedConsul, next.config, overrides.consul, consul, log.child({ component: 'consul' }),
        (previous) => peers?.registrar.leave(previous) ?? Promise.resolve());
      const candidate: WorkerConfig = { file, config: next.config, deckOnly: next.deckOnly };
      const gen = generation + 1;
      const r = new ReloadRound(gen, set.entries().map((e) => e.pid));
      const outcome = await new Promise<RoundOutcome>((resolve) => {
        const timer = setTimeout(() => { r.timedOut(); settleRound(); }, PREPARE_TIMEOUT_MS);
        round = { r, done: (o) => { clearTimeout(timer); round = null; resolve(o); } };
        set.broadcast({ mg: 'prepare', gen, loaded: candidate });
        settleRound();
      });
      if (outcome.kind === 'abort') {
        set.broadcast({ mg: 'abort', gen });
        throw new Error(outcome.errors.join('; '));
      }
      consulSwap.commit();
      consulSwap = undefined;
      meshTls?.setMinVersion(next.config.mesh?.min_tls_version ?? '1.3');
      // the workers' pools come from here: the guard is the primary's, failover the workers' own (their commit)
      hub.setGuard(poolGuardPolicy(next.config.consul?.pool_guard));
      appliedConsul = consulSettings(next.config, overrides.consul);
      generation = gen;
      current = candidate;
      const committed = new CommitWait(gen, r.workers);
      commits = committed;
      set.broadcast({ mg: 'commit', gen });
      // a worker that started during the round runs the old config: it takes the new one now
      for (const e of set.entries()) {
        if (!r.workers.includes(e.pid)) { set.send(e, { mg: 'prepare', gen, loaded: candidate }); set.send(e, { mg: 'commit', gen }); }
      }
      // logged once every worker serves the new config (or after the timeout, saying who did not)
      const late = await committed.done(PREPARE_TIMEOUT_MS);
      commits = null;
      metrics.configReloadSuccess.set(1);
      log.info({ workers: r.workers.length, generation: gen, ...(late.length > 0 ? { not_confirmed: late } : {}) }, 'config reloaded');
      reportRestartSections(cfg, next.config, metrics.configRestartRequired, (sections) => log.warn({ sections }, RESTART_WARNING), WORKERS_RESTART_SECTIONS);
    } catch (err) {
      consulSwap?.abort();
      metrics.configReloadSuccess.set(0);
      log.error({ err: err instanceof ConfigError ? err.message : String(err) }, 'config reload rejected; every worker keeps the running config');
    }
  };
  let reloads = Promise.resolve();
  const reload = () => { reloads = reloads.then(reloadOnce); };
  process.on('SIGHUP', reload);
  const onFileChange = (cur: Stats, prev: Stats) => { if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size) reload(); };
  watchFile(file, { interval: 1000 }, onFileChange);

  return new Promise<number>((resolve) => {
    const shutdown = async (signal: string) => {
      if (shuttingDown) return;
      shuttingDown = true;
      log.info({ signal, drainMs, workers: set.entries().length }, 'draining');
      await peers?.registrar.enterMaintenance(`meshgate ${signal}`);
      // each worker drains its connections within drainMs; a worker still there a little later is killed
      await set.drain(drainMs + 2000);
      await Promise.all([peers?.registrar.deregister(), peers?.stop()]);
      await Promise.allSettled([hub.stop(), meshTls?.stop()]);
      await consul.close();
      admin.close();
      admin.closeAllConnections();
      clearInterval(stalenessTimer);
      unwatchFile(file, onFileChange);
      log.info('stopped');
      flush();
      resolve(0);
    };
    process.once('SIGTERM', () => void shutdown('SIGTERM'));
    process.once('SIGINT', () => void shutdown('SIGINT'));
  });
}
