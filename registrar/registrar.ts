// Keeps this sidecar's services registered with the local Consul agent: registers at start,
// re-registers within seconds when Consul loses them (a restart), passes TTL checks while the
// local instance accepts connections, and on shutdown drains (maintenance on) and deregisters.
import net from 'node:net';
import type { Logger } from 'pino';
import type { LocalService } from '../proto/config-schema.js';
import type { ConsulClient } from '../agent/discovery/consul-client.js';
import { parseDurationMs } from '../agent/config/duration.js';
import { checkId, registrationBody, serviceId, sidecarId, type MeshListener, type UpstreamBinding } from './registration.js';

export interface RegistrarOptions {
  readonly services: readonly LocalService[];
  readonly mesh: MeshListener;
  readonly upstreams?: readonly UpstreamBinding[];
  /** how often to verify the registrations are still there */
  readonly reconcileMs?: number;
}

export class Registrar {
  readonly #client: ConsulClient;
  readonly #log: Logger;
  readonly #opts: RegistrarOptions;
  #timer: NodeJS.Timeout | undefined;
  #ttlTimers: NodeJS.Timeout[] = [];
  #registered = false;
  #stopped = false;
  #reconciling = false;

  constructor(client: ConsulClient, log: Logger, opts: RegistrarOptions) {
    this.#client = client;
    this.#log = log;
    this.#opts = opts;
  }

  /** true once every service has been registered at least once */
  get registered(): boolean { return this.#registered; }

  start(): void {
    void this.#reconcile();
    this.#timer = setInterval(() => void this.#reconcile(), this.#opts.reconcileMs ?? 2000);
    this.#timer.unref();
    for (const s of this.#opts.services) {
      if (!s.check?.ttl) continue;
      const every = Math.max(500, parseDurationMs(s.check.ttl) / 3);
      const t = setInterval(() => void this.#passTtl(s), every);
      t.unref();
      this.#ttlTimers.push(t);
    }
  }

  async #register(s: LocalService): Promise<void> {
    await this.#client.put('/agent/service/register', registrationBody(s, this.#opts.mesh, this.#opts.upstreams));
    this.#log.info({ service: s.name, id: serviceId(s), sidecar: sidecarId(s) }, 'registered with consul');
    if (s.check?.ttl) await this.#passTtl(s);
  }

  async #reconcile(): Promise<void> {
    if (this.#stopped || this.#reconciling) return;
    this.#reconciling = true;
    try {
      const present = (await this.#client.get<Record<string, unknown>>('/agent/services')).body ?? {};
      for (const s of this.#opts.services) {
        if (this.#stopped) return;
        if (!(serviceId(s) in present) || !(sidecarId(s) in present)) {
          if (this.#registered) this.#log.warn({ id: serviceId(s) }, 'registration lost (consul restarted?); registering again');
          await this.#register(s);
        }
      }
      this.#registered = true;
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'consul registration check failed; will retry');
    } finally {
      this.#reconciling = false;
    }
  }

  async #passTtl(s: LocalService): Promise<void> {
    const up = await canConnect(s.address ?? '127.0.0.1', s.port);
    try {
      await this.#client.put(`/agent/check/${up ? 'pass' : 'fail'}/${encodeURIComponent(checkId(s))}`);
    } catch { /* the reconcile loop reports Consul trouble */ }
  }

  /** First step of a drain: marks every service critical so callers stop picking it. */
  async enterMaintenance(reason: string): Promise<void> {
    this.#stopped = true;
    await Promise.allSettled(this.#opts.services.map((s) =>
      this.#client.put(`/agent/service/maintenance/${encodeURIComponent(serviceId(s))}`, undefined, { enable: 'true', reason })));
  }

  async deregister(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const t of this.#ttlTimers) clearInterval(t);
    const results = await Promise.allSettled(this.#opts.services.map((s) =>
      this.#client.put(`/agent/service/deregister/${encodeURIComponent(serviceId(s))}`)));
    const failed = results.filter((r) => r.status === 'rejected').length;
    if (failed) this.#log.warn({ failed }, 'some services could not be deregistered');
    else this.#log.info({ services: this.#opts.services.map(serviceId) }, 'deregistered from consul');
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
