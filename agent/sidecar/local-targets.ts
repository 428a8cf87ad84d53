// The sidecar's local services → forward plans over loopback (compiled once at start).
import type { LocalService } from '../../proto/config-schema.js';
import { KONG_SERVICE_DEFAULTS, KONG_UPSTREAM_SLOTS } from '../../proto/defaults.js';
import type { Metrics } from '../observe/metrics.js';
import { buildServicePool, staticEndpoints } from '../pool/build-pool.js';
import type { EndpointRegistry } from '../pool/endpoint-registry.js';
import { serviceId } from '../../registrar/registration.js';
import type { LocalTarget } from './sidecar-role.js';
import type { H2Sessions } from '../proxy/h2-upstream-sessions.js';

/** `h2`: the local instances' HTTP/2 sessions, for gRPC calls (h2c over loopback) */
export function compileLocalTargets(services: readonly LocalService[], registry: EndpointRegistry, metrics: Metrics, h2: H2Sessions): Map<string, LocalTarget> {
  const targets = new Map<string, LocalTarget>();
  for (const s of services) {
    const id = serviceId(s);
    const pool = buildServicePool({
      name: `local:${id}`, source: 'static', algorithm: 'round-robin', slots: KONG_UPSTREAM_SLOTS, hashKey: null,
      // the only local instance is never ejected: Consul's check decides whether it gets traffic
      health: { maxFails: 0, failTimeoutMs: 0 },
      endpoints: staticEndpoints([{ host: s.address ?? '127.0.0.1', port: s.port, weight: 1 }]),
      loaded: true, connection: { connectTimeoutMs: 5_000 },
    }, registry);
    targets.set(id, {
      id, name: s.name, recorder: metrics.recorderFor('sidecar', 'inbound', s.name), kong: null,
      plan: {
        pool, retries: 0, readTimeoutMs: KONG_SERVICE_DEFAULTS.read_timeout, writeTimeoutMs: KONG_SERVICE_DEFAULTS.write_timeout,
        h2: h2.upstream({ kind: 'h2c' }, 5_000),
      },
    });
  }
  return targets;
}
