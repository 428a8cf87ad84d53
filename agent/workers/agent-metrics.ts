// The agent's /metrics with workers: every worker's registry (asked over IPC as JSON) and the
// primary's, merged with prom-client's cluster aggregation. Counters and histograms add up;
// gauges where each worker reports the same fact (a pool's size, a breaker's state) take the
// largest; requests per worker are labelled with the worker's index.
import { AggregatorRegistry, type Registry } from 'prom-client';

/** one metric as Registry.getMetricsAsJSON gives it (what a worker sends) */
export type MetricJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>[number];

/** gauges every worker sets to the same agent-wide value: summing them would count it N times */
const SAME_IN_EVERY_WORKER = new Set([
  'meshgate_pool_endpoints', 'meshgate_circuit_breaker_state', 'meshgate_edge_certificate_expiry_seconds',
  'meshgate_mesh_certificate_expiry_seconds', 'kong_upstream_target_health', 'kong_datastore_reachable', 'kong_node_info',
]);

const REQUESTS = 'meshgate_http_requests_total';

function withAggregators(metrics: readonly MetricJson[]): MetricJson[] {
  return metrics.map((m) => (SAME_IN_EVERY_WORKER.has(m.name) ? { ...m, aggregator: 'max' } : m));
}

/** requests a worker answered, from its own metrics */
export function requestsOf(metrics: readonly MetricJson[]): number {
  const m = metrics.find((x) => x.name === REQUESTS);
  return m === undefined ? 0 : m.values.reduce((n, v) => n + v.value, 0);
}

/** The merged registry; `workers` are [index, that worker's metrics]. */
export function aggregateAgentMetrics(primary: readonly MetricJson[], workers: readonly (readonly [number, readonly MetricJson[]])[]): Registry {
  const perWorker = {
    name: 'meshgate_worker_requests_total', help: 'Requests answered by each worker process', type: 'counter', aggregator: 'sum',
    values: workers.map(([index, m]) => ({ labels: { worker: String(index) }, value: requestsOf(m) })),
  } as unknown as MetricJson;
  return AggregatorRegistry.aggregate([[...withAggregators(primary), perWorker], ...workers.map(([, m]) => withAggregators(m))]);
}
