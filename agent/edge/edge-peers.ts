// The edge agents of this cluster, as Consul sees them: registration of this one and a
// blocking watch counting the passing ones (plugins scale local fallbacks by that count).
import type { Logger } from 'pino';
import { BlockingWatcher } from '../discovery/blocking-watcher.js';
import type { ConsulClient } from '../../registrar/consul-client.js';
import { EDGE_SERVICE, edgeRegistrationBody } from '../../registrar/registration.js';
import { Registrar } from '../../registrar/registrar.js';

export class EdgePeers {
  readonly registrar: Registrar;
  readonly #watcher: BlockingWatcher;
  #count = 1;

  constructor(client: ConsulClient, log: Logger, node: string, listenHost: string, port: number) {
    const body = edgeRegistrationBody(node, listenHost, port);
    this.registrar = new Registrar(client, log, [{ id: String(body.ID), ids: [String(body.ID)], body }]);
    this.#watcher = new BlockingWatcher(client, {
      name: `service/${EDGE_SERVICE}`, path: `/health/service/${EDGE_SERVICE}`, query: { passing: '1' },
      onChange: (entries) => { this.#count = Math.max(1, Array.isArray(entries) ? entries.length : 1); },
    });
  }

  /** live edges (≥ 1; 1 when Consul has not answered) */
  readonly size = (): number => this.#count;

  start(): void {
    this.registrar.start();
    this.#watcher.start();
  }

  async stop(): Promise<void> {
    await this.#watcher.stop();
  }
}
