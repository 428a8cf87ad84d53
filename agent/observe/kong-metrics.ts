// Kong's metric names and labels (its `prometheus` plugin), so dashboards built for Kong read a
// meshgate edge. Recorded with plain arithmetic per route as RequestStats does, formatted on scrape.
// Off (switches null) until a decK file carries the plugin; each Kong switch gates its family.
import type { Registry } from 'prom-client';
import type { ServicePool } from '../pool/service-pool.js';

export interface KongSwitches {
  readonly perConsumer: boolean;
  readonly statusCodes: boolean;
  readonly latency: boolean;
  readonly bandwidth: boolean;
  readonly upstreamHealth: boolean;
}

/** Kong's buckets (ms): request and upstream latency, and the latency Kong itself adds. */
export const KONG_BUCKETS_MS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000, 2000, 5000, 10000, 30000, 60000] as const;
export const KONG_LATENCY_BUCKETS_MS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000] as const;

/** Kong's response sources: the upstream answered, a plugin answered (exit), or Kong failed (error). */
export type ResponseSource = 'service' | 'exit' | 'error';
const SOURCES: readonly ResponseSource[] = ['service', 'exit', 'error'];
const SOURCE_INDEX: Readonly<Record<ResponseSource, number>> = { service: 0, exit: 1, error: 2 };

class MsHistogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) { this.counts = new Float64Array(buckets.length); }
  observe(ms: number): void {
    this.sum += ms;
    this.count++;
    const b = this.buckets;
    for (let i = 0; i < b.length; i++) if (ms <= b[i]!) { this.counts[i]!++; return; }
  }
}

export class KongRouteRecorder {
  /** consumer → status → counts by source */
  readonly requests = new Map<string, Map<number, Float64Array>>();
  readonly bandwidth = new Map<string, { ingress: number; egress: number }>();
  readonly total = new MsHistogram(KONG_BUCKETS_MS);
  readonly upstream = new MsHistogram(KONG_BUCKETS_MS);
  readonly kong = new MsHistogram(KONG_LATENCY_BUCKETS_MS);

  constructor(private readonly stats: KongStats, readonly route: string, readonly service: string) {}

  record(status: number, source: ResponseSource, consumer: string | undefined, totalMs: number, upstreamMs: number, bytesIn: number, bytesOut: number): void {
    const sw = this.stats.switches;
    if (sw === null) return;
    const who = sw.perConsumer ? consumer ?? '' : '';
    if (sw.statusCodes) {
      let byStatus = this.requests.get(who);
      if (byStatus === undefined) { byStatus = new Map(); this.requests.set(who, byStatus); }
      let c = byStatus.get(status);
      if (c === undefined) { c = new Float64Array(3); byStatus.set(status, c); }
      c[SOURCE_INDEX[source]]!++;
    }
    if (sw.latency) {
      this.total.observe(totalMs);
      if (upstreamMs >= 0) { this.upstream.observe(upstreamMs); this.kong.observe(Math.max(0, totalMs - upstreamMs)); }
      else this.kong.observe(totalMs);
    }
    if (sw.bandwidth) {
      let b = this.bandwidth.get(who);
      if (b === undefined) { b = { ingress: 0, egress: 0 }; this.bandwidth.set(who, b); }
      b.ingress += bytesIn;
      b.egress += bytesOut;
    }
  }
}

interface MetricValue { labels: Record<string, string | number>; value: number; metricName?: string }

function histogram(name: string, labels: Record<string, string>, h: MsHistogram): MetricValue[] {
  const out: MetricValue[] = [];
  let cumulative = 0;
  h.buckets.forEach((le, i) => {
    cumulative += h.counts[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: String(le) }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count });
  out.push({ metricName: `${name}_sum`, labels, value: h.sum });
  out.push({ metricName: `${name}_count`, labels, value: h.count });
  return out;
}

export interface KongSources {
  readonly pools: () => Iterable<ServicePool>;
  /** the datastore is Consul: reachable when its last answer is fresh */
  readonly consulReachable: () => boolean;
  readonly nodeId: string;
  readonly version: string;
}

/** Kong's target health states; exactly one is 1 per target. */
const TARGET_STATES = ['healthchecks_off', 'healthy', 'unhealthy', 'dns_error'] as const;

// passive health always runs in meshgate, so a target is never "healthchecks_off"
function targetState(m: ServicePool['members'][number], now: number): (typeof TARGET_STATES)[number] {
  return m.state.isAvailable(now) ? 'healthy' : 'unhealthy';
}

export class KongStats {
  /** null: the decK file has no prometheus plugin, Kong's names are not exported */
  switches: KongSwitches | null = null;
  readonly #routes = new Map<string, KongRouteRecorder>();

  recorderFor(route: string, service: string): KongRouteRecorder {
    const key = `${route}\u0000${service}`;
    let r = this.#routes.get(key);
    if (r === undefined) { r = new KongRouteRecorder(this, route, service); this.#routes.set(key, r); }
    return r;
  }

  register(registry: Registry, src: KongSources): void {
    const all = () => (this.switches === null ? [] : [...this.#routes.values()]);
    const on = (k: keyof KongSwitches) => this.switches !== null && this.switches[k];
    const metric = (name: string, help: string, type: 'counter' | 'histogram' | 'gauge', values: () => MetricValue[]) => ({
      name, help, type, aggregator: 'sum',
      get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
    });
    const reg = registry as unknown as { registerMetric(m: unknown): void };
    const base = (r: KongRouteRecorder) => ({ service: r.service, route: r.route, workspace: 'default' });
    reg.registerMetric(metric('kong_http_requests_total', 'HTTP status codes per consumer/service/route in Kong', 'counter',
      () => (on('statusCodes') ? all() : []).flatMap((r) => [...r.requests].flatMap(([consumer, byStatus]) => [...byStatus].flatMap(([code, c]) =>
        SOURCES.flatMap((source, i) => (c[i]! > 0 ? [{ labels: { ...base(r), code, source, consumer }, value: c[i]! }] : [])))))));
    const latency = (name: string, help: string, pick: (r: KongRouteRecorder) => MsHistogram) => reg.registerMetric(metric(name, help, 'histogram',
      () => (on('latency') ? all() : []).flatMap((r) => histogram(name, base(r), pick(r)))));
    latency('kong_request_latency_ms', 'Total latency incurred during requests for each service/route in Kong', (r) => r.total);
    latency('kong_upstream_latency_ms', 'Latency added by upstream response for each service/route in Kong', (r) => r.upstream);
    latency('kong_kong_latency_ms', 'Latency added by Kong and enabled plugins for each service/route in Kong', (r) => r.kong);
    reg.registerMetric(metric('kong_bandwidth_bytes', 'Total bandwidth (ingress/egress) throughput in bytes', 'counter',
      () => (on('bandwidth') ? all() : []).flatMap((r) => [...r.bandwidth].flatMap(([consumer, b]) => [
        { labels: { ...base(r), direction: 'ingress', consumer }, value: b.ingress },
        { labels: { ...base(r), direction: 'egress', consumer }, value: b.egress },
      ]))));
    reg.registerMetric(metric('kong_upstream_target_health', 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.', 'gauge', () => {
      if (!on('upstreamHealth')) return [];
      const now = Date.now();
      const out: MetricValue[] = [];
      for (const pool of src.pools()) {
        for (const m of pool.members) {
          const state = targetState(m, now);
          for (const s of TARGET_STATES) out.push({ labels: { upstream: pool.name, target: m.key, address: m.address, state: s, subsystem: 'http' }, value: s === state ? 1 : 0 });
        }
      }
      return out;
    }));
    reg.registerMetric(metric('kong_datastore_reachable', 'Datastore reachable from Kong, 0 is unreachable', 'gauge',
      () => (this.switches === null ? [] : [{ labels: {}, value: src.consulReachable() ? 1 : 0 }])));
    reg.registerMetric(metric('kong_node_info', 'Kong Node metadata information', 'gauge',
      () => (this.switches === null ? [] : [{ labels: { node_id: src.nodeId, version: src.version }, value: 1 }])));
  }
}
