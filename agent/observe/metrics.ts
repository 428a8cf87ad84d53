// Prometheus metrics. Label children are resolved once per route/status pair and cached, so a
// request does a Map lookup and an observe, never a label-set construction.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'meshgate_http_requests_total', help: 'Requests answered, by route, service and status',
    labelNames: ['role', 'route', 'service', 'status'] as const, registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'meshgate_http_request_duration_seconds', help: 'Total request latency as seen by this agent',
    labelNames: ['role', 'route', 'service'] as const, registers: [this.registry],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  readonly upstreamLatency = new Histogram({
    name: 'meshgate_upstream_latency_seconds', help: 'Time from dispatch to upstream response headers',
    labelNames: ['role', 'service'] as const, registers: [this.registry],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  readonly poolEndpoints = new Gauge({
    name: 'meshgate_pool_endpoints', help: 'Endpoints in a service pool, by state',
    labelNames: ['service', 'state'] as const, registers: [this.registry],
  });
  readonly watcherStaleness = new Gauge({
    name: 'meshgate_discovery_staleness_seconds', help: 'Seconds since the watcher last heard from Consul',
    labelNames: ['watch'] as const, registers: [this.registry],
  });
  readonly ejections = new Counter({
    name: 'meshgate_endpoint_ejections_total', help: 'Passive-health ejections',
    labelNames: ['service', 'endpoint'] as const, registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'meshgate_upstream_retries_total', help: 'Requests retried on another endpoint',
    labelNames: ['service'] as const, registers: [this.registry],
  });
  readonly leafExpiry = new Gauge({
    name: 'meshgate_mesh_certificate_expiry_seconds', help: 'Seconds until the mesh leaf certificate of an identity expires',
    labelNames: ['identity'] as const, registers: [this.registry],
  });
  readonly circuitState = new Gauge({
    name: 'meshgate_circuit_breaker_state', help: 'Circuit breaker state per service: 0 closed, 1 half-open, 2 open',
    labelNames: ['service'] as const, registers: [this.registry],
  });
  readonly configReloadSuccess = new Gauge({
    name: 'meshgate_config_last_reload_success', help: '1 if the last config load succeeded', registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'meshgate_process_' });
  }

  /** A recorder bound to one route: label children cached per status. */
  recorderFor(role: string, route: string, service: string): RequestRecorder {
    return new RequestRecorder(this, role, route, service);
  }
}

export class RequestRecorder {
  readonly #byStatus = new Map<number, ReturnType<Counter<'role' | 'route' | 'service' | 'status'>['labels']>>();
  readonly #latency;
  readonly #upstream;
  constructor(private readonly metrics: Metrics, private readonly role: string, private readonly route: string, private readonly service: string) {
    this.#latency = metrics.latency.labels(role, route, service);
    this.#upstream = metrics.upstreamLatency.labels(role, service);
  }
  record(status: number, totalMs: number, upstreamMs: number): void {
    let c = this.#byStatus.get(status);
    if (c === undefined) {
      c = this.metrics.requests.labels(this.role, this.route, this.service, String(status));
      this.#byStatus.set(status, c);
    }
    c.inc();
    this.#latency.observe(totalMs / 1000);
    if (upstreamMs >= 0) this.#upstream.observe(upstreamMs / 1000);
  }
}
