// The multi-host topology in network namespaces: three Consul servers (c1-c3, a Raft quorum), two
// service hosts (s1, s2) each with a Consul client agent and two `users` instances behind their own
// meshgate sidecars, and an edge host (e1) with its client agent and the meshgate edge. Every hop
// between hosts is a real address on a bridge; edge → sidecar is mTLS with Connect certificates.
// Used by test:chaos and by `npm run demo:hosts`.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../../agent/node-flags.js';
import { findConsul } from '../../agent/demo/consul-dev-agent.js';
import { consulAgentConfig } from './consul-config.js';
import { multihostEdgeConfig, multihostSidecarConfig, type InstanceSpec } from './agent-configs.js';
import { HostProcess } from './host-process.js';
import { createBridge, createHost, deleteTopologyNetwork, removeStaleTopology, setHostLink, NS_PREFIX } from './netns.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = path.join(REPO, 'bin/meshgate.js');
const SAMPLE = path.join(REPO, 'deploy/demo/sample-service.mjs');

export const HOSTS = { c1: '10.231.0.11', c2: '10.231.0.12', c3: '10.231.0.13', s1: '10.231.0.21', s2: '10.231.0.22', e1: '10.231.0.31', d2: '10.231.0.41' } as const;
export type HostName = keyof typeof HOSTS;
export const CONSUL_SERVERS: readonly HostName[] = ['c1', 'c2', 'c3'];
export const SERVICE_HOSTS: readonly HostName[] = ['s1', 's2'];
/** dc2 (WAN-joined): one host with its Consul server and one users instance, the edge's failover datacenter */
export const DC2_HOST: HostName = 'd2';
const EDGE_PORT = 8080;

export interface Instance extends InstanceSpec { service?: HostProcess; sidecar?: HostProcess }

export class Topology {
  readonly dir = path.join(os.tmpdir(), `mgc-topology-${process.pid}`);
  readonly edgeUrl = `http://${HOSTS.e1}:${EDGE_PORT}`;
  readonly consulUi = `http://${HOSTS.c1}:8500/ui/dc1/services`;
  readonly instances: Instance[] = [];
  /** the users instance in dc2 */
  readonly remote: Instance = { id: 'users-d2-a', host: DC2_HOST, hostAddress: HOSTS[DC2_HOST], port: 7001, meshPort: 21001, adminPort: 9901 };
  readonly consul = new Map<HostName, HostProcess>();
  edge?: HostProcess;
  readonly #live = new Set<HostProcess>();
  #consulBin = '';
  #cleaned = false;
  readonly #onExit = () => this.cleanupNow();

  /** Builds the network and starts everything; on any failure everything made so far is removed. */
  async start(log: (line: string) => void = () => {}): Promise<void> {
    process.once('exit', this.#onExit);
    try {
      this.#consulBin = await findConsul();
      removeStaleTopology();
      mkdirSync(path.join(this.dir, 'logs'), { recursive: true });
      createBridge();
      for (const [name, address] of Object.entries(HOSTS)) createHost(name, address);
      log(`network: bridge in ${NS_PREFIX}br, hosts ${Object.entries(HOSTS).map(([n, a]) => `${NS_PREFIX}${n}=${a}`).join(' ')}`);
      for (const h of Object.keys(HOSTS) as HostName[]) this.startConsul(h);
      await this.waitFor('a Consul leader', 60_000, async () => (await this.leader()) !== '');
      log('consul: 3 servers with a leader, client agents on s1 s2 e1');
      for (const host of SERVICE_HOSTS) {
        for (const [k, suffix] of ['a', 'b'].entries()) {
          this.instances.push({ id: `users-${host}-${suffix}`, host, hostAddress: HOSTS[host], port: 7001 + k, meshPort: 21001 + k, adminPort: 9901 + k });
        }
      }
      for (const i of this.instances) this.startInstance(i);
      await this.waitFor('dc2 joined over the WAN, with its intermediate CA', 60_000, async () => {
        const r = await fetch(`http://${HOSTS[DC2_HOST]}:8500/v1/agent/connect/ca/roots`, { signal: AbortSignal.timeout(1000) });
        return ((await r.json()) as { Roots: { IntermediateCerts?: string[] | null }[] }).Roots.some((x) => (x.IntermediateCerts?.length ?? 0) > 0);
      });
      this.startInstance(this.remote);
      this.startEdge();
      await this.waitFor('4 passing users instances', 60_000, async () => (await this.passing('users')).length === 4);
      await this.waitFor('the edge answering 200 from both hosts', 60_000, async () => {
        const seen = new Set<string>();
        for (let n = 0; n < 12; n++) {
          const r = await fetch(`${this.edgeUrl}/api/v1/users/1`, { signal: AbortSignal.timeout(2000) });
          if (r.status === 200) seen.add(String(r.headers.get('x-instance')).split('-')[1]); else await r.arrayBuffer();
        }
        return seen.size === 2;
      });
      await this.waitFor('the dc2 users instance passing', 60_000, async () => (await this.passing('users', 'dc2')).length === 1);
      log(`ready: 4 users instances on s1 s2 behind sidecars, 1 in dc2 on d2, edge at ${this.edgeUrl}`);
    } catch (err) {
      this.cleanupNow();
      throw err;
    }
  }

  #file(name: string, text: string): string {
    const p = path.join(this.dir, name);
    writeFileSync(p, text);
    return p;
  }

  #spawn(name: string, host: HostName, cmd: string, args: readonly string[]): HostProcess {
    return new HostProcess(name, `${NS_PREFIX}${host}`, cmd, args, path.join(this.dir, 'logs', `${name}.log`), this.#live);
  }

  startConsul(host: HostName, opts: { wipe?: boolean } = {}): HostProcess {
    const dataDir = path.join(this.dir, `consul-${host}`);
    if (opts.wipe) rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true });
    const servers = CONSUL_SERVERS.map((s) => HOSTS[s]);
    const spec = host === DC2_HOST
      ? { node: host, address: HOSTS[host], server: true, servers: [HOSTS[host]], dataDir, datacenter: 'dc2', wanJoin: servers }
      : { node: host, address: HOSTS[host], server: CONSUL_SERVERS.includes(host), servers, dataDir, ui: host === 'c1' };
    const file = this.#file(`consul-${host}.json`, JSON.stringify(consulAgentConfig(spec), null, 2));
    const p = this.#spawn(`consul-${host}`, host, this.#consulBin, ['agent', `-config-file=${file}`]);
    this.consul.set(host, p);
    return p;
  }

  startInstance(i: Instance): void {
    i.service = this.#spawn(`svc-${i.id}`, i.host as HostName, process.execPath, [SAMPLE, '--port', String(i.port), '--name', 'users', '--instance', i.id]);
    const file = this.#file(`sidecar-${i.id}.yml`, multihostSidecarConfig(i));
    i.sidecar = this.#spawn(`sidecar-${i.id}`, i.host as HostName, process.execPath, [...NODE_FLAGS, BIN, 'agent', '--config', file]);
  }

  startEdge(): void {
    const file = this.#file('edge.yml', multihostEdgeConfig(`${HOSTS.e1}:${EDGE_PORT}`, 9900));
    this.edge = this.#spawn('edge', 'e1', process.execPath, [...NODE_FLAGS, BIN, 'agent', '--config', file]);
  }

  /** the Raft leader's host name, '' when there is none (asked of any live server) */
  async leader(): Promise<string> {
    for (const s of CONSUL_SERVERS) {
      try {
        const r = await fetch(`http://${HOSTS[s]}:8500/v1/status/leader`, { signal: AbortSignal.timeout(1000) });
        const addr = (await r.json()) as string;
        if (addr) return CONSUL_SERVERS.find((h) => addr.startsWith(`${HOSTS[h]}:`)) ?? '';
      } catch { /* that server is down */ }
    }
    return '';
  }

  /** passing instance ids of a service, as the servers see them (dc1's, or another datacenter's through them) */
  async passing(service: string, dc = 'dc1'): Promise<string[]> {
    for (const s of dc === 'dc2' ? [DC2_HOST] : CONSUL_SERVERS) {
      try {
        const r = await fetch(`http://${HOSTS[s]}:8500/v1/health/service/${service}?passing=1`, { signal: AbortSignal.timeout(2000) });
        if (!r.ok) { await r.arrayBuffer(); continue; }
        return ((await r.json()) as { Service: { ID: string } }[]).map((e) => e.Service.ID);
      } catch { /* next server */ }
    }
    return [];
  }

  /** SIGKILL every process of a host (its Consul agent too) */
  killHost(host: HostName): void {
    for (const p of [...this.#live]) if (p.ns === `${NS_PREFIX}${host}`) p.kill('SIGKILL');
  }

  async restartHost(host: HostName): Promise<void> {
    await Promise.all([...this.#live].filter((p) => p.ns === `${NS_PREFIX}${host}`).map((p) => p.exited));
    this.startConsul(host);
    for (const i of this.instances) if (i.host === host) this.startInstance(i);
  }

  setLink(host: HostName, up: boolean): void { setHostLink(host, up); }

  async waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
    const start = Date.now();
    while (Date.now() - start < timeoutMs) {
      try { if (await check()) return (Date.now() - start) / 1000; } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; logs in ${this.dir}/logs`);
  }

  /** Graceful stop: edge, sidecars (drain), services, then Consul; then the network. */
  async stop(): Promise<void> {
    await this.edge?.stop();
    await Promise.all([...this.instances, this.remote].map((i) => i.sidecar?.stop()));
    await Promise.all([...this.instances, this.remote].map((i) => i.service?.stop()));
    await Promise.all([...this.consul.values()].map((c) => c.stop('SIGINT')));
    this.cleanupNow();
  }

  /** Synchronous last resort (also on process exit): SIGKILL by pid, delete namespaces, remove files. */
  cleanupNow(keepLogs = process.env.MGC_KEEP_LOGS === '1'): void {
    if (this.#cleaned) return;
    this.#cleaned = true;
    process.removeListener('exit', this.#onExit);
    for (const p of [...this.#live]) p.kill('SIGKILL');
    deleteTopologyNetwork();
    if (!keepLogs) rmSync(this.dir, { recursive: true, force: true });
  }
}
