// Kong services and upstreams → where each service's traffic goes (pure, done once per config).
import type { KongDeclarative, KongHealthchecks, KongService } from '../../proto/config-schema.js';
import { HEALTHCHECK_DEFAULTS, KONG_SERVICE_DEFAULTS, KONG_TARGET_WEIGHT, KONG_UPSTREAM_SLOTS, PASSIVE_HEALTH_DEFAULTS } from '../../proto/defaults.js';
import { compileHashKey, type HashKey } from '../balance/hash-key.js';
import type { BalancerName } from '../balance/index.js';
import { parseDurationMs } from '../../proto/duration.js';
import type { OutlierHealth, PassiveHealth } from '../pool/endpoint-state.js';
import { isIP } from 'node:net';

export type PoolSource =
  | { readonly kind: 'consul'; readonly service: string }
  | { readonly kind: 'static'; readonly targets: readonly { readonly host: string; readonly port: number; readonly weight: number }[] };

export interface PoolSpec {
  readonly name: string;
  readonly source: PoolSource;
  /** https pools speak TLS to their members (verified; a mesh hop has its own mTLS) */
  readonly protocol: 'http' | 'https';
  readonly algorithm: BalancerName;
  /** Kong's `slots`: the consistent-hash table size */
  readonly slots: number;
  /** the request's hash key (consistent-hashing); null: the balancer needs none */
  readonly hashKey: HashKey | null;
  readonly health: PassiveHealth;
  /** active probing of static targets; null when off */
  readonly active: ActiveCheckSpec | null;
}

export interface ActiveCheckSpec {
  readonly type: 'http' | 'https' | 'tcp';
  readonly path: string;
  readonly timeoutMs: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly healthyIntervalMs: number;
  readonly unhealthyIntervalMs: number;
  readonly healthyStatuses: ReadonlySet<number>;
  readonly unhealthyStatuses: ReadonlySet<number>;
  readonly successes: number;
  readonly httpFailures: number;
  readonly tcpFailures: number;
  readonly timeouts: number;
}

/** Kong's passive healthchecks → outlier detection; undefined when every threshold is 0 (Kong's default: off). */
export function outlierHealth(hc: KongHealthchecks | undefined): OutlierHealth | undefined {
  const u = hc?.passive?.unhealthy;
  if (!u || !((u.http_failures ?? 0) > 0 || (u.tcp_failures ?? 0) > 0 || (u.timeouts ?? 0) > 0)) return undefined;
  const p = hc!.passive!;
  return {
    kind: 'outlier',
    unhealthyStatuses: new Set(u.http_statuses ?? HEALTHCHECK_DEFAULTS.passiveUnhealthyStatuses),
    healthyStatuses: new Set(p.healthy?.http_statuses ?? HEALTHCHECK_DEFAULTS.passiveHealthyStatuses),
    tcpOnly: p.type === 'tcp',
    httpFailures: u.http_failures ?? 0, tcpFailures: u.tcp_failures ?? 0, timeouts: u.timeouts ?? 0,
    successes: p.healthy?.successes ?? 0,
    baseEjectionMs: parseDurationMs(p.ejection_base_time ?? HEALTHCHECK_DEFAULTS.ejectionBaseTime),
    maxEjectionMs: parseDurationMs(p.ejection_max_time ?? HEALTHCHECK_DEFAULTS.ejectionMaxTime),
    maxEjectionPercent: p.max_ejection_percent ?? HEALTHCHECK_DEFAULTS.maxEjectionPercent,
    panicThresholdPercent: hc?.threshold ?? 0,
  };
}

/** Kong's active healthchecks; null unless an interval is set (Kong's default: off). */
export function activeCheck(hc: KongHealthchecks | undefined): ActiveCheckSpec | null {
  const a = hc?.active;
  const healthyInterval = a?.healthy?.interval ?? 0;
  const unhealthyInterval = a?.unhealthy?.interval ?? 0;
  if (!a || (healthyInterval <= 0 && unhealthyInterval <= 0)) return null;
  return {
    type: a.type ?? 'http', path: a.http_path ?? HEALTHCHECK_DEFAULTS.activeHttpPath,
    timeoutMs: (a.timeout ?? HEALTHCHECK_DEFAULTS.activeTimeoutS) * 1000,
    headers: Object.fromEntries(Object.entries(a.headers ?? {}).map(([k, v]) => [k, v.join(', ')])),
    healthyIntervalMs: healthyInterval * 1000, unhealthyIntervalMs: unhealthyInterval * 1000,
    healthyStatuses: new Set(a.healthy?.http_statuses ?? HEALTHCHECK_DEFAULTS.activeHealthyStatuses),
    unhealthyStatuses: new Set(a.unhealthy?.http_statuses ?? HEALTHCHECK_DEFAULTS.activeUnhealthyStatuses),
    successes: Math.max(1, a.healthy?.successes ?? 1),
    httpFailures: a.unhealthy?.http_failures ?? 0, tcpFailures: a.unhealthy?.tcp_failures ?? 0, timeouts: a.unhealthy?.timeouts ?? 0,
  };
}

export interface ServiceSpec {
  readonly name: string;
  /** grpc/grpcs: gRPC calls go to the members over HTTP/2 (h2c / TLS) */
  readonly protocol: 'http' | 'https' | 'grpc' | 'grpcs';
  /** Host header sent upstream unless the route preserves the client's */
  readonly hostHeader: string;
  readonly path: string;
  readonly retries: number;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly writeTimeoutMs: number;
  readonly perTryTimeoutMs: number;
  readonly pool: string;
}

const CONSUL_SUFFIX = '.service.consul';
const KONG_TARGET_DEFAULT_PORT = 8000;

/** `users` or `users.service.consul` name a Consul service; IPs, localhost and dotted names do not. */
export function consulServiceName(host: string): string | undefined {
  if (host.endsWith(CONSUL_SUFFIX)) return host.slice(0, -CONSUL_SUFFIX.length);
  if (isIP(host) || host === 'localhost' || host.includes('.')) return undefined;
  return host;
}

function parseTarget(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(':');
  return i < 0 ? { host: target, port: KONG_TARGET_DEFAULT_PORT } : { host: target.slice(0, i), port: Number(target.slice(i + 1)) };
}

function serviceOrigin(s: KongService): { protocol: ServiceSpec['protocol']; host: string; port: number; path: string } {
  if (s.url) {
    const u = new URL(s.url);
    const protocol = u.protocol === 'https:' ? 'https' : 'http';
    // WHATWG URL keeps IPv6 brackets in hostname: "[::1]"
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    return { protocol, host, port: u.port ? Number(u.port) : protocol === 'https' ? 443 : 80, path: u.pathname === '/' && !s.url.endsWith('/') ? '' : u.pathname };
  }
  const protocol = s.protocol ?? KONG_SERVICE_DEFAULTS.protocol;
  return { protocol, host: s.host!, port: s.port ?? (protocol === 'https' || protocol === 'grpcs' ? 443 : KONG_SERVICE_DEFAULTS.port), path: s.path ?? '' };
}

export function compileServices(kong: KongDeclarative): { services: Map<string, ServiceSpec>; pools: Map<string, PoolSpec> } {
  const upstreams = new Map((kong.upstreams ?? []).map((u) => [u.name, u]));
  const services = new Map<string, ServiceSpec>();
  const pools = new Map<string, PoolSpec>();
  for (const s of kong.services ?? []) {
    if (s.enabled === false) continue;
    const origin = serviceOrigin(s);
    const upstream = upstreams.get(origin.host);
    // http and https services to one destination get a pool each: TLS is a property of the connections
    const scheme = origin.protocol === 'https' ? 'https:' : '';
    // (gRPC goes over its own HTTP/2 sessions, chosen from the service's protocol; this is the HTTP/1 pool's scheme)
    const protocol = origin.protocol === 'https' ? 'https' : 'http';
    let pool: PoolSpec;
    if (upstream) {
      // an upstream without targets whose name is a Consul service takes its pool from Consul,
      // with the upstream's algorithm and healthchecks (Consul's checks are the active checks)
      const consulName = (upstream.targets ?? []).length === 0 ? consulServiceName(upstream.name) : undefined;
      pool = {
        name: `upstream:${scheme}${upstream.name}`,
        protocol,
        source: consulName !== undefined
          ? { kind: 'consul', service: consulName }
          : { kind: 'static', targets: (upstream.targets ?? []).map((t) => ({ ...parseTarget(t.target), weight: t.weight ?? KONG_TARGET_WEIGHT })) },
        algorithm: upstream.algorithm ?? 'round-robin',
        slots: upstream.slots ?? KONG_UPSTREAM_SLOTS,
        hashKey: compileHashKey(upstream),
        health: outlierHealth(upstream.healthchecks) ?? {
          maxFails: upstream.passive?.max_fails ?? PASSIVE_HEALTH_DEFAULTS.max_fails,
          failTimeoutMs: parseDurationMs(upstream.passive?.fail_timeout ?? PASSIVE_HEALTH_DEFAULTS.fail_timeout),
        },
        active: consulName !== undefined ? null : activeCheck(upstream.healthchecks),
      };
    } else {
      const consul = consulServiceName(origin.host);
      const health = { maxFails: PASSIVE_HEALTH_DEFAULTS.max_fails, failTimeoutMs: parseDurationMs(PASSIVE_HEALTH_DEFAULTS.fail_timeout) };
      const plain = { protocol, algorithm: 'round-robin', slots: KONG_UPSTREAM_SLOTS, hashKey: null, health, active: null } as const;
      pool = consul
        ? { name: `consul:${scheme}${consul}`, source: { kind: 'consul', service: consul }, ...plain }
        : { name: `static:${scheme}${origin.host}:${origin.port}`, source: { kind: 'static', targets: [{ host: origin.host, port: origin.port, weight: 1 }] }, ...plain };
    }
    if (!pools.has(pool.name)) pools.set(pool.name, pool);
    services.set(s.name, {
      name: s.name,
      protocol: origin.protocol,
      hostHeader: upstream || consulServiceName(origin.host) ? origin.host : hostWithPort(origin.host, origin.port, origin.protocol),
      path: origin.path,
      retries: s.retries ?? KONG_SERVICE_DEFAULTS.retries,
      connectTimeoutMs: s.connect_timeout ?? KONG_SERVICE_DEFAULTS.connect_timeout,
      readTimeoutMs: s.read_timeout ?? KONG_SERVICE_DEFAULTS.read_timeout,
      writeTimeoutMs: s.write_timeout ?? KONG_SERVICE_DEFAULTS.write_timeout,
      perTryTimeoutMs: s.per_try_timeout ?? 0,
      pool: pool.name,
    });
  }
  return { services, pools };
}

function hostWithPort(host: string, port: number, protocol: string): string {
  return (protocol === 'http' && port === 80) || (protocol === 'https' && port === 443) ? host : `${host}:${port}`;
}
