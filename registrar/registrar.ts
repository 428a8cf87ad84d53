// Keeps this agent's registrations in the local Consul agent: registers at start, re-registers
// within seconds when Consul loses them (a restart), passes TTL checks while the local instance
// accepts connections, and on shutdown drains (maintenance on) and deregisters.
import net from 'node:net';
import type { Logger } from 'pino';
import type { LocalService } from '../proto/config-schema.js';
import type { ConsulClient } from './consul-client.js';
import { parseDurationMs } from '../proto/duration.js';
import { checkId, registrationBody, serviceId, sidecarId, type MeshListener, type UpstreamBinding } from './registration.js';

/** One PUT /v1/agent/service/register and the service ids it must produce. */
export interface Registration {
  readonly id: string;
  /** every id this registration creates (a service and its sidecar) */
  readonly ids: readonly string[];
  readonly body: Record<string, unknown>;
  /** a TTL check this agent passes while host:port accepts connections */
  readonly ttl?: { readonly checkId: string; readonly host: string; readonly port: number; readonly everyMs: number };
}

/** A sidecar's local services, each with its connect-proxy registration. */
export function sidecarRegistrations(services: readonly LocalService[], mesh: MeshListener, upstreams: readonly UpstreamBinding[] = []): Registration[] {
  return services.map((s) => ({
    id: serviceId(s), ids: [serviceId(s), sidecarId(s)], body: registrationBody(s, mesh, upstreams),
    ...(s.check?.ttl ? { ttl: { checkId: checkId(s), host: s.address ?? '127.0.0.1', port: s.port, everyMs: Math.max(500, parseDurationMs(s.check.ttl) / 3) } } : {}),
  }));
}

export class Registrar {
  readonly #client: ConsulClient;
  readonly #log: Logger;
  #registrations: readonly Registration[];
  readonly #reconcileMs: number;
  #timer: NodeJS.Timeout | undefined;
  #ttlTimers: NodeJS.Timeout[] = [];
  #registered = false;
  #stopped = false;
  #reconciling = false;

  constructor(client: ConsulClient, log: Logger, registrations: readonly Registration[], reconcileMs = 2000) {
    this.#client = client;
    this.#log = log;
    this.#registrations = registrations;
    this.#reconcileMs = reconcileMs;
  }

  /** true once every registration has been made at least once */
  get registered(): boolean { return this.#registered; }

  start(): void {
    void this.#reconcile();
    this.#timer = setInterval(() => void this.#reconcile(), this.#reconcileMs);
    this.#timer.unref();
    this.#startTtl();
  }

  #startTtl(): void {
    for (const t of this.#ttlTimers) clearInterval(t);
    this.#ttlTimers = [];
    for (const r of this.#registrations) {
      if (!r.ttl) continue;
      const t = setInterval(() => void this.#passTtl(r), r.ttl.everyMs);
      t.unref();
      this.#ttlTimers.push(t);
    }
  }

  /**
   * A reload's registrations: ids no longer listed are deregistered, new or changed ones registered
   * now (the reconcile loop keeps them from then on).
   */
  async replace(next: readonly Registration[]): Promise<void> {
    const before = this.#registrations;
    this.#registrations = next;
    if (this.#timer === undefined || this.#stopped) return;
    this.#startTtl();
    const gone = before.filter((r) => !next.some((n) => n.id === r.id));
    const changed = next.filter((n) => JSON.stringify(before.find((r) => r.id === n.id)?.body) !== JSON.stringify(n.body));
    const results = await Promise.allSettled([
      ...gone.map((r) => this.#client.put(`/agent/service/deregister/${encodeURIComponent(r.id)}`)),
      ...changed.map((r) => this.#register(r)),
    ]);
    const failed = results.filter((r) => r.status === 'rejected').length;
    this.#log.info({ deregistered: gone.map((r) => r.id), registered: changed.map((r) => r.id), ...(failed ? { failed } : {}) }, 'registrations reloaded');
  }

  async #register(r: Registration): Promise<void> {
    await this.#client.put('/agent/service/register', r.body);
    this.#log.info({ ids: r.ids }, 'registered with consul');
    if (r.ttl) await this.#passTtl(r);
  }

  async #reconcile(): Promise<void> {
    if (this.#stopped || this.#reconciling) return;
    this.#reconciling = true;
    try {
      const present = (await this.#client.get<Record<string, unknown>>('/agent/services')).body ?? {};
      for (const r of this.#registrations) {
        if (this.#stopped) return;
        if (!r.ids.every((id) => id in present)) {
          if (this.#registered) this.#log.warn({ id: r.id }, 'registration lost (consul restarted?); registering again');
          await this.#register(r);
        }
      }
      this.#registered = true;
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'consul registration check failed; will retry');
    } finally {
      this.#reconciling = false;
    }
  }

  async #passTtl(r: Registration): Promise<void> {
    const t = r.ttl!;
    const up = await canConnect(t.host, t.port);
    try {
      await this.#client.put(`/agent/check/${up ? 'pass' : 'fail'}/${encodeURIComponent(t.checkId)}`);
    } catch { /* the reconcile loop reports Consul trouble */ }
  }

  /** First step of a drain: marks every service critical so callers stop picking it. */
  async enterMaintenance(reason: string): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled(this.#registrations.map((r) =>
      this.#client.put(`/agent/service/maintenance/${encodeURIComponent(r.id)}`, undefined, { enable: 'true', reason })));
  }

  /**
   * After the agent was pointed at another Consul agent: removes this agent's registrations from
   * the previous one (the reconcile loop makes them at the new one). A previous agent that is gone
   * has nothing to remove.
   */
  async leave(previous: ConsulClient): Promise<void> {
    const results = await Promise.allSettled(this.#registrations.map((r) => previous.put(`/agent/service/deregister/${encodeURIComponent(r.id)}`)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    this.#log.info({ ids: this.#registrations.map((r) => r.id), previous: previous.address, ...(failed ? { failed } : {}) }, 'left the previous consul agent');
  }

  async deregister(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const t of this.#ttlTimers) clearInterval(t);
    const results = await Promise.allSettled(this.#registrations.map((r) =>
      this.#client.put(`/agent/service/deregister/${encodeURIComponent(r.id)}`)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed) this.#log.warn({ failed }, 'some services could not be deregistered');
    else this.#log.info({ ids: this.#registrations.map((r) => r.id) }, 'deregistered from consul');
  }
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: 1000 });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
    s.once('timeout', () => { s.destroy(); resolve(false); });
  });
}
