// Per-route request metrics recorded with plain arithmetic on the hot path: a request adds to
// counters held by its route's recorder (made once per route and kept across table swaps), and
// the Prometheus text is produced from them only when /metrics is scraped. prom-client's own
// Counter/Histogram hash their label sets on every observation, which a proxy cannot afford.
import type { Registry } from 'prom-client';

export const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

class LatencyCounts {
  readonly counts = new Float64Array(LATENCY_BUCKETS_S.length);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
      if (seconds <= LATENCY_BUCKETS_S[i]!) { this.counts[i]!++; return; }
    }
  }
}

export class RequestRecorder {
  readonly byStatus = new Map<number, number>();
  readonly total = new LatencyCounts();
  readonly upstream = new LatencyCounts();

  constructor(readonly role: string, readonly route: string, readonly service: string) {}

  record(status: number, totalMs: number, upstreamMs: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    this.total.observe(totalMs / 1000);
    if (upstreamMs >= 0) this.upstream.observe(upstreamMs / 1000);
  }
}

interface MetricValue { labels: Record<string, string | number>; value: number; metricName?: string }

function histogramValues(name: string, base: Record<string, string>, h: LatencyCounts): MetricValue[] {
  const out: MetricValue[] = [];
  let cumulative = 0;
  LATENCY_BUCKETS_S.forEach((le, i) => {
    cumulative += h.counts[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { ...base, le }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { ...base, le: '+Inf' }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels: base, value: h.sum });
  out.push({ metricName: `${name}_count`, labels: base, value: h.count });
  return out;
}

/** The recorders of this process, exported as three Prometheus metrics. */
export class RequestStats {
  readonly #recorders = new Map<string, RequestRecorder>();

  recorderFor(role: string, route: string, service: string): RequestRecorder {
    const key = `${role}\u0000${route}\u0000${service}`;
    let r = this.#recorders.get(key);
    if (r === undefined) { r = new RequestRecorder(role, route, service); this.#recorders.set(key, r); }
    return r;
  }

  /** requests answered so far, over every route (a worker's count in /status) */
  answered(): number {
    let n = 0;
    for (const r of this.#recorders.values()) for (const c of r.byStatus.values()) n += c;
    return n;
  }

  register(registry: Registry): void {
    const all = () => [...this.#recorders.values()];
    const metric = (name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue[]) => ({
      name, help, type, aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
    });
    const reg = registry as unknown as { registerMetric(m: unknown): void };
    reg.registerMetric(metric('meshgate_http_requests_total', 'Requests answered, by route, service and status', 'counter',
      () => all().flatMap((r) => [...r.byStatus].map(([status, n]) => ({ labels: { role: r.role, route: r.route, service: r.service, status }, value: n })))));
    reg.registerMetric(metric('meshgate_http_request_duration_seconds', 'Total request latency as seen by this agent', 'histogram',
      () => all().flatMap((r) => histogramValues('meshgate_http_request_duration_seconds', { role: r.role, route: r.route, service: r.service }, r.total))));
    reg.registerMetric(metric('meshgate_upstream_latency_seconds', 'Time from dispatch to upstream response headers', 'histogram',
      () => all().flatMap((r) => histogramValues('meshgate_upstream_latency_seconds', { role: r.role, route: r.route, service: r.service }, r.upstream))));
  }
}
