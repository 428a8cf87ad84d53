// One harness per test file (describe): a temp dir for configs, a Consul dev agent, sample
// services and meshgate agents as tracked child processes, an HTTP client, and hooks that end
// everything it started (even when a test fails) and dump the captured output on failure.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startConsulDev, type ConsulDevAgent } from '../../agent/demo/consul-dev-agent.js';
import { freePort } from '../../agent/demo/free-port.js';
import { NODE_FLAGS } from '../../agent/node-flags.js';
import { HttpClient, type Echo, type HttpResult } from './http.js';
import { ChildHandle, OutputBuffer, track, untrack, type Tracked } from './proc.js';
import { MESHGATE_BIN, REPO, SAMPLE_SERVICE } from './repo.js';
import { GiveUp, sleep, waitFor } from './wait.js';

// ---- shapes of what the admin listener and Consul answer (the parts the tests read) ----------
export interface StatusEndpoint {
  readonly key: string;
  readonly instance: string;
  readonly weight: number;
  readonly inflight: number;
  readonly available: boolean;
  readonly ejections: number;
  readonly recent_failures: number;
}
export interface StatusPool { readonly name: string; readonly source: string; readonly loaded: boolean; readonly endpoints: readonly StatusEndpoint[] }
export interface StatusWatcher { readonly name: string; readonly index: number; readonly ageMs: number | null; readonly age_s: number | null; readonly errors: number; readonly lastError?: string }
export interface AgentStatus {
  readonly node: string;
  readonly ready: boolean;
  readonly routes: readonly { name: string; service: string; pool: string }[];
  readonly pools: readonly StatusPool[];
  readonly watchers: readonly StatusWatcher[];
}
export interface ConsulHealthEntry {
  readonly Service: { ID: string; Service: string; Kind?: string; Port: number; Address: string; Proxy?: { DestinationServiceName?: string; DestinationServiceID?: string; LocalServicePort?: number } };
  readonly Checks: readonly { CheckID: string; Status: string; ServiceID: string }[];
}
export interface ConsulCatalogEntry { readonly ServiceID: string; readonly ServiceName: string; readonly ServiceKind?: string; readonly ServicePort: number; readonly ServiceAddress: string }

// ---- handles ---------------------------------------------------------------------------------
export interface ServiceHandle {
  readonly name: string;
  readonly instance: string;
  readonly port: number;
  readonly url: string;
  readonly child: ChildHandle;
  setHealth(status: 'pass' | 'fail'): Promise<void>;
  served(): Promise<number>;
}

export interface AgentHandle {
  readonly name: string;
  readonly child: ChildHandle;
  readonly adminPort: number;
  /** the edge listener, or the sidecar's mesh listener */
  readonly port: number;
  readonly url: string;
  readonly configFile: string;
  status(): Promise<AgentStatus>;
  metrics(): Promise<string>;
  /** access-log lines ("request") written so far */
  accessLog(): Record<string, unknown>[];
}

export interface SidecarOptions {
  readonly service: ServiceHandle;
  readonly id?: string;
  readonly drainTimeout?: string;
  readonly checkInterval?: string;
  /** more agent: settings (tracing …) */
  readonly agent?: Record<string, unknown>;
}

export interface EdgeOptions {
  readonly kong: Record<string, unknown>;
  readonly trustedProxies?: readonly string[];
  readonly name?: string;
  /** consul.pool_guard for the edge */
  readonly poolGuard?: { readonly max_shrink_fraction: number; readonly hold: string };
  /** more consul: settings (failover_datacenters …) */
  readonly consul?: Record<string, unknown>;
  /** edge.http (strict-request and canonical-request rules) */
  readonly http?: Record<string, unknown>;
  /** edge.http2 (h2c on the plain listener, limits) */
  readonly http2?: Record<string, unknown>;
  /** more agent: settings (tracing …) */
  readonly agent?: Record<string, unknown>;
  /** more command-line arguments (--workers …) */
  readonly args?: readonly string[];
}

/** A decK/edge service + route for a Consul service reached through its sidecars. */
export function consulServiceKong(service: string, routePath: string): Record<string, unknown> {
  return {
    _format_version: '3.0',
    services: [{ name: service, url: `http://${service}`, routes: [{ name: service, paths: [routePath], strip_path: false }] }],
    upstreams: [],
  };
}

class ConsulTracked implements Tracked {
  readonly name = 'consul';
  constructor(readonly agent: ConsulDevAgent, readonly output: OutputBuffer) {}
  get pid(): number { return this.agent.process.pid!; }
  alive(): boolean { return this.agent.process.exitCode === null && this.agent.process.signalCode === null; }
  async stop(): Promise<void> { await this.agent.stop('SIGINT'); }
}

export class Harness {
  readonly name: string;
  readonly tmp: string;
  readonly http = new HttpClient();
  readonly #children: ChildHandle[] = [];
  readonly #ports = new Set<number>();
  readonly #consulOutput = new OutputBuffer();
  #consul: ConsulTracked | undefined;
  #seq = 0;

  constructor(name: string) {
    this.name = name;
    this.tmp = mkdtempSync(path.join(os.tmpdir(), 'meshgate-it-'));
  }

  // ---- ports, files ----------------------------------------------------------------------
  /** a free loopback port not handed out before by this harness */
  async port(): Promise<number> {
    for (let i = 0; i < 50; i++) {
      const p = await freePort('127.0.0.1');
      if (!this.#ports.has(p)) { this.#ports.add(p); return p; }
    }
    throw new Error('no fresh free port after 50 tries');
  }

  writeFile(name: string, text: string): string {
    const file = path.join(this.tmp, name);
    writeFileSync(file, text);
    return file;
  }

  writeYaml(name: string, doc: unknown): string {
    return this.writeFile(name, stringify(doc));
  }

  // ---- Consul ----------------------------------------------------------------------------
  get consul(): ConsulDevAgent {
    if (!this.#consul) throw new Error('consul not started');
    return this.#consul.agent;
  }

  /** the Consul node name (ACL policies name it for agent:read) */
  get consulNode(): string { return `it-${this.name.replace(/[^a-z0-9-]/gi, '-')}`; }

  async startConsul(httpPort?: number, extraConfig?: Record<string, unknown>): Promise<ConsulDevAgent> {
    if (this.#consul?.alive()) throw new Error('consul already running');
    if (this.#consul) untrack(this.#consul);
    this.#consulOutput.add('out', `---- starting consul${httpPort ? ` on ${httpPort}` : ''} ----`);
    const agent = await startConsulDev({
      ...(httpPort ? { httpPort } : {}), ...(extraConfig ? { extraConfig } : {}), node: this.consulNode,
      log: (l) => this.#consulOutput.add('out', l),
    });
    this.#consul = new ConsulTracked(agent, this.#consulOutput);
    track(this.#consul);
    return agent;
  }

  /** Ends the Consul agent (its state is lost with it). */
  async stopConsul(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    if (!this.#consul) return;
    await this.#consul.agent.stop(signal);
    untrack(this.#consul);
  }

  async consulGet<T>(p: string): Promise<T> {
    return this.http.json<T>(`${this.consul.httpAddress}/v1${p}`);
  }

  async catalogService(name: string): Promise<ConsulCatalogEntry[]> { return this.consulGet(`/catalog/service/${name}`); }
  async healthPassing(name: string): Promise<ConsulHealthEntry[]> { return this.consulGet(`/health/service/${name}?passing`); }
  async connectPassing(name: string): Promise<ConsulHealthEntry[]> { return this.consulGet(`/health/connect/${name}?passing`); }

  /** Removes registrations a killed sidecar left behind (errors ignored). */
  async consulDeregister(...ids: string[]): Promise<void> {
    for (const id of ids) {
      try { await this.http.request(`${this.consul.httpAddress}/v1/agent/service/deregister/${encodeURIComponent(id)}`, { method: 'PUT', timeoutMs: 5000 }); } catch { /* consul down or gone */ }
    }
  }

  // ---- processes -------------------------------------------------------------------------
  spawn(name: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildHandle {
    const c = new ChildHandle(name, command, args, { cwd: REPO, ...(env ? { env } : {}) });
    this.#children.push(c);
    return c;
  }

  /** A sample service on a free port (or on `port`, e.g. to bring a stopped one back). */
  async startService(name: string, instance: string, port?: number): Promise<ServiceHandle> {
    port ??= await this.port();
    const child = this.spawn(instance, process.execPath, [SAMPLE_SERVICE, '--port', String(port), '--name', name, '--instance', instance, '--host', '127.0.0.1']);
    await waitFor(() => {
      if (!child.alive()) throw new GiveUp(`${instance} exited: ${child.output.tail(20)}`);
      return child.output.lines.some((l) => l.text.includes('"listening"'));
    }, { timeoutMs: 10_000, intervalMs: 20, what: `${instance} to listen` });
    const url = `http://127.0.0.1:${port}`;
    const http = this.http;
    return {
      name, instance, port, url, child,
      async setHealth(status) {
        const r = await http.post(`${url}/_control/health?status=${status}`);
        if (r.status !== 204) throw new Error(`set health ${status}: HTTP ${r.status}`);
      },
      async served() { return (await http.json<{ served: number }>(`${url}/_control/stats`)).served; },
    };
  }

  /** Starts `node <NODE_FLAGS> bin/meshgate.js agent --config FILE ...args` and, unless told not to, waits for /ready. */
  async startAgent(name: string, configFile: string, opts: { adminPort: number; port: number; args?: readonly string[]; waitReady?: boolean; env?: NodeJS.ProcessEnv }): Promise<AgentHandle> {
    const child = this.spawn(name, process.execPath, [...NODE_FLAGS, MESHGATE_BIN, 'agent', '--config', configFile, ...(opts.args ?? [])], opts.env);
    const adminUrl = `http://127.0.0.1:${opts.adminPort}`;
    const http = this.http;
    const handle: AgentHandle = {
      name, child, adminPort: opts.adminPort, port: opts.port, url: `http://127.0.0.1:${opts.port}`, configFile,
      status: () => http.json<AgentStatus>(`${adminUrl}/status`),
      metrics: async () => (await http.get(`${adminUrl}/metrics`)).text,
      accessLog: () => child.output.json().filter((l) => l.msg === 'request'),
    };
    if (opts.waitReady !== false) await this.waitReady(handle);
    return handle;
  }

  /** Polls the admin /ready until 200 (bounded); fails at once if the process died. */
  async waitReady(agent: { child: ChildHandle; adminPort: number; name: string }, timeoutMs = 20_000): Promise<void> {
    await waitFor(async () => {
      if (!agent.child.alive()) throw new GiveUp(`${agent.name} exited (${JSON.stringify(agent.child.exit)}):\n${agent.child.output.tail(30)}`);
      const r = await this.http.get(`http://127.0.0.1:${agent.adminPort}/ready`, { timeoutMs: 2000 });
      return r.status === 200;
    }, { timeoutMs, intervalMs: 50, what: `${agent.name} /ready` });
  }

  async startSidecar(opts: SidecarOptions): Promise<AgentHandle> {
    const id = opts.id ?? opts.service.instance;
    const [meshPort, adminPort] = [await this.port(), await this.port()];
    const svc = opts.service;
    const file = this.writeYaml(`sidecar-${id}-${++this.#seq}.yaml`, {
      consul: { address: this.consul.httpAddress },
      agent: { node: id, admin: `127.0.0.1:${adminPort}`, drain_timeout: opts.drainTimeout ?? '10s', log_level: 'info', ...opts.agent },
      sidecar: {
        listen: `127.0.0.1:${meshPort}`,
        services: [{
          name: svc.name, id, address: '127.0.0.1', port: svc.port,
          check: { http: `http://127.0.0.1:${svc.port}/health`, interval: opts.checkInterval ?? '1s', timeout: '1s' },
        }],
      },
    });
    return this.startAgent(`sidecar ${id}`, file, { adminPort, port: meshPort });
  }

  async startEdge(opts: EdgeOptions): Promise<AgentHandle> {
    const [port, adminPort] = [await this.port(), await this.port()];
    const name = opts.name ?? 'edge';
    const file = this.writeYaml(`${name}-${++this.#seq}.yaml`, {
      consul: { address: this.consul.httpAddress, ...(opts.poolGuard ? { pool_guard: opts.poolGuard } : {}), ...opts.consul },
      agent: { node: name, admin: `127.0.0.1:${adminPort}`, log_level: 'info', ...opts.agent },
      edge: {
        listen: `127.0.0.1:${port}`,
        ...(opts.trustedProxies ? { trusted_proxies: opts.trustedProxies } : {}),
        ...(opts.http ? { http: opts.http } : {}),
        ...(opts.http2 ? { http2: opts.http2 } : {}),
        kong: opts.kong,
      },
    });
    return this.startAgent(name, file, { adminPort, port, ...(opts.args ? { args: opts.args } : {}) });
  }

  /** A plain Kong decK file as --config, with --listen and --admin on free loopback ports. */
  async startDeck(name: string, deck: Record<string, unknown>, extraArgs: readonly string[] = [], env?: NodeJS.ProcessEnv): Promise<AgentHandle> {
    const [port, adminPort] = [await this.port(), await this.port()];
    const file = this.writeYaml(`${name}-${++this.#seq}.yml`, deck);
    return this.startAgent(name, file, { adminPort, port, args: ['--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`, ...extraArgs], env });
  }

  // ---- waiting on the mesh ---------------------------------------------------------------
  /** Waits until the edge's pool `pool` holds exactly these instances, all available. */
  async waitForPool(edge: AgentHandle, pool: string, instances: readonly string[], timeoutMs = 15_000): Promise<StatusPool> {
    const want = [...instances].sort().join(',');
    return waitFor(async () => {
      const p = (await edge.status()).pools.find((x) => x.name === pool);
      if (!p) return undefined;
      const have = p.endpoints.map((e) => e.instance).sort().join(',');
      return have === want && p.endpoints.every((e) => e.available) ? p : undefined;
    }, { timeoutMs, intervalMs: 50, what: `${edge.name} pool ${pool} = [${want}]` });
  }

  /** GET through the edge; returns the echo and the response. */
  async echo(url: string, opts: { headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ res: HttpResult; echo: Echo | undefined }> {
    const res = await this.http.get(url, opts);
    let echo: Echo | undefined;
    if (res.status === 200) { try { echo = res.json<Echo>(); } catch { /* not an echo */ } }
    return { res, echo };
  }

  // ---- cleanup and diagnostics -------------------------------------------------------------
  /** The tail of every process's output (and Consul's), for a failed test. */
  dump(title: string, lines = 60): string {
    const parts = [`===== ${this.name}: ${title} — captured output (last ${lines} lines each) =====`];
    for (const c of this.#children) {
      if (c.name.startsWith('run ')) continue;
      parts.push(`--- ${c.name} (pid ${c.pid}${c.exit ? `, exited ${JSON.stringify({ code: c.exit.code, signal: c.exit.signal })}` : ''}) ---`, c.output.tail(lines));
    }
    parts.push('--- consul ---', this.#consulOutput.tail(Math.min(lines, 30)));
    return parts.join('\n');
  }

  /** Ends the given processes (agents before services so sidecars can deregister). */
  async stopAll(children: readonly ChildHandle[] = this.#children): Promise<void> {
    const isAgent = (c: ChildHandle) => c.name.startsWith('sidecar') || c.name.includes('edge') || c.name.includes('deck');
    await Promise.all(children.filter((c) => c.alive() && isAgent(c)).map((c) => c.stop(5000)));
    await Promise.all(children.filter((c) => c.alive()).map((c) => c.stop(5000)));
  }

  /** Children started since `mark` (see childCount) */
  childrenSince(mark: number): ChildHandle[] { return this.#children.slice(mark); }
  get childCount(): number { return this.#children.length; }

  async cleanup(): Promise<void> {
    try {
      await this.stopAll();
      if (this.#consul) { await this.#consul.agent.stop('SIGINT'); untrack(this.#consul); }
    } finally {
      await this.http.close().catch(() => {});
      rmSync(this.tmp, { recursive: true, force: true });
    }
  }
}

/**
 * Registers the mocha hooks of one file's harness inside the current describe: output dumped
 * after a failed test, and everything ended after the last test (also when a hook failed).
 */
export function useHarness(name: string, opts: { consul?: boolean; consulConfig?: Record<string, unknown> } = {}): () => Harness {
  let h: Harness | undefined;
  let failed = false;
  before(async function () {
    this.timeout(60_000);
    h = new Harness(name);
    if (opts.consul !== false) await h.startConsul(undefined, opts.consulConfig);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && h) {
      failed = true;
      process.stderr.write(`\n${h.dump(this.currentTest.title)}\n\n`);
    }
  });
  after(async function () {
    this.timeout(60_000);
    if (!h) return;
    const notRun = this.test?.parent?.tests.some((t) => t.state === undefined && !t.pending);
    if (notRun && !failed) process.stderr.write(`\n${h.dump('a hook failed')}\n\n`);
    // MESHGATE_IT_DUMP=N: always print the last N lines of every process (debugging a passing run)
    const always = Number(process.env.MESHGATE_IT_DUMP ?? 0);
    if (always > 0) process.stderr.write(`\n${h.dump('MESHGATE_IT_DUMP', always)}\n\n`);
    await h.cleanup();
  });
  return () => {
    if (!h) throw new Error('harness not started (before hook failed?)');
    return h;
  };
}

export { GiveUp, sleep, waitFor };
