// The configuration contract: one YAML file per agent. TypeBox builds the JSON Schema
// (validated by Ajv, exported to proto/config.schema.json for editors) and the TS types.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  AGENT_DEFAULTS, CONSUL_DEFAULTS, EDGE_DEFAULTS, KONG_ROUTE_DEFAULTS, KONG_SERVICE_DEFAULTS,
  KONG_TARGET_WEIGHT, KONG_UPSTREAM_SLOTS, PASSIVE_HEALTH_DEFAULTS,
} from './defaults.js';
import { BALANCER_NAMES } from './balancer-names.js';
import { EdgeHttp, EdgeHttp2, EdgeTls, KongCertificate, KongSni, ListenerLimits, SniName } from './listener-schema.js';

export type { EdgeHttp2, EdgeTls, KongCertificate, ListenerLimits } from './listener-schema.js';
import { Duration, HttpUrl, KongId, KongTags, Str, Strict } from './schema-primitives.js';
import { TracingSection } from './tracing-schema.js';


/** 0–65535: port 0 lets the kernel pick (tests, ephemeral listeners) */
const PORT_RE = '([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';
const HostPort = Str(`^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9_.-]+):${PORT_RE}$`, 'must be HOST:PORT with a port from 0 to 65535', { description: 'HOST:PORT' });
const Name = Str('^[A-Za-z0-9][A-Za-z0-9._~-]*$', 'must be letters, digits, ".", "_", "~" or "-"');
const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Millis = Type.Integer({ minimum: 1, maximum: 2 ** 31 - 2 });
/** Consul service tags (any string); Kong entities use KongTags */
const Tags = Type.Array(Type.String());
const Cidr = Str('^[0-9a-fA-F:.]+(/[0-9]{1,3})?$', 'must be an IP address or CIDR like 10.0.0.0/8');

export const ConsulSection = Type.Object({
  address: Type.Optional(HttpUrl),
  token: Type.Optional(Type.String({ description: 'ACL token; use ${CONSUL_HTTP_TOKEN}. Never logged.' })),
  token_file: Type.Optional(Type.String({ minLength: 1, description: 'a file holding the ACL token; re-read when it changes (rotation without a restart). Default: CONSUL_HTTP_TOKEN_FILE, then CONSUL_HTTP_TOKEN' })),
  datacenter: Type.Optional(Type.String()),
  failover_datacenters: Type.Optional(Type.Array(Str('^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'must be a datacenter name'), {
    minItems: 1, uniqueItems: true,
    description: 'WAN-joined datacenters, in order: a service with no passing instance in the local datacenter is served by the first of these that has one, and by the local one again as soon as it has one',
  })),
  pool_guard: Type.Optional(Type.Object({
    max_shrink_fraction: Type.Number({ minimum: 0, exclusiveMaximum: 1, description: 'an answer that removes more than this share of a pool\'s members at once (or all of them) is a collapse' }),
    hold: Duration,
  }, { ...Strict, description: 'keep the members a collapsed Consul answer dropped, unless failing locally, for at most `hold`; off when absent' })),
}, { ...Strict, default: CONSUL_DEFAULTS });

export const AgentSection = Type.Object({
  node: Type.Optional(Type.String({ description: 'name of this agent in logs and metrics' })),
  admin: Type.Optional(HostPort),
  log_level: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))),
  drain_timeout: Type.Optional(Duration),
  upstream_keepalive_timeout: Type.Optional(Str('^[0-9]*[1-9][0-9]*(ms|s|m|h)$', 'must be a duration above zero like 500ms, 10s, 1m or 2h', { description: 'how long an idle connection to an upstream (a service, a sidecar, a local service) is kept open for the next request; a server that announces a shorter Keep-Alive timeout is followed. Default 300s: a burst after an idle minute finds its connections open (test/bench/cold-start.mjs)' })),
  identity: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._~-]*$', rule: 'must be a service name', description: 'the mesh identity (Consul service name) this agent presents when it calls other agents; default "edge" for an edge, else the first local service' })),
  tracing: Type.Optional(TracingSection),
  workers: Type.Optional(Type.Union([Type.Literal('auto'), Type.Integer({ minimum: 1, maximum: 256 })], { description: 'processes serving the edge: a number, or "auto" for one per core; 1 (the default) runs one process. An edge only: a sidecar refuses more than 1' })),
  request_debug_token: Type.Optional(Type.String({ minLength: 16, description: 'a request carrying X-Kong-Request-Debug: 1 and X-Kong-Request-Debug-Token with this value gets the explain report in X-Kong-Request-Debug-Output; use ${ENV_VAR}. Never logged.' })),
}, { ...Strict, description: `defaults: ${JSON.stringify(AGENT_DEFAULTS)}` });

export const MeshSection = Type.Object({
  tls: Type.Optional(Type.Union([
    Type.Literal('consul'),
    Type.Literal('disabled'),
    Type.Object({ cert: Type.String({ minLength: 1 }), key: Type.String({ minLength: 1 }), ca: Type.String({ minLength: 1 }) }, Strict),
  ], { description: '"consul" (default): certificates from Consul\'s Connect CA; {cert, key, ca}: PEM files, reloaded on change; "disabled": plain HTTP between agents (warned at start)' })),
  min_tls_version: Type.Optional(Type.Union([Type.Literal('1.3'), Type.Literal('1.2')], { default: '1.3' })),
  authorize: Type.Optional(Type.Boolean({ default: true, description: 'check Consul intentions for every inbound mesh request (decided locally from a blocking watch, L7 permissions included)' })),
  default_intention_policy: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('deny')], { description: 'the decision when no intention matches; default: Consul\'s ACL default policy (allow when ACLs are off)' })),
}, Strict);

export const CheckSpec = Type.Object({
  http: Type.Optional(HttpUrl),
  tcp: Type.Optional(HostPort),
  ttl: Type.Optional(Duration),
  interval: Type.Optional(Duration),
  timeout: Type.Optional(Duration),
}, { ...Strict, description: 'exactly one of http, tcp, ttl' });

export const LocalService = Type.Object({
  name: Name,
  id: Type.Optional(Name),
  address: Type.Optional(Type.String({ minLength: 1 })),
  port: Port,
  tags: Type.Optional(Tags),
  meta: Type.Optional(Type.Record(Type.String(), Type.String())),
  weights: Type.Optional(Type.Object({
    passing: Type.Integer({ minimum: 1, maximum: 65535 }),
    warning: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  }, Strict)),
  check: Type.Optional(CheckSpec),
  deregister_critical_service_after: Type.Optional(Duration),
}, Strict);

export const SidecarSection = Type.Object({
  listen: HostPort,
  advertise: Type.Optional(Type.String({ minLength: 1, description: 'address registered in Consul for the mesh listener' })),
  services: Type.Array(LocalService, { minItems: 1 }),
  upstreams: Type.Optional(Type.Array(Type.Object({
    service: Name,
    listen: HostPort,
  }, { ...Strict, description: 'a local port through which the local app calls another service over the mesh' }))),
}, Strict);

/** A plugin entry. `config` is checked against the named plugin's own schema in a second pass. */
export const KongPlugin = Type.Object({
  name: Str('^[a-z0-9][a-z0-9-]*$', 'must be a plugin name like "rate-limiting"'),
  id: Type.Optional(KongId),
  instance_name: Type.Optional(Str('^([A-Za-z0-9._~-]|[^\\x00-\\x7f])+$', 'the only accepted ascii characters are alphanumerics or ., -, _, and ~')),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  protocols: Type.Optional(Type.Array(Type.String())),
  tags: Type.Optional(KongTags),
  /** top-level plugins may name their scope (decK style) */
  service: Type.Optional(Type.Union([Type.String(), Type.Object({ name: Type.Optional(Type.String()), id: Type.Optional(KongId) }, Strict)])),
  route: Type.Optional(Type.Union([Type.String(), Type.Object({ name: Type.Optional(Type.String()), id: Type.Optional(KongId) }, Strict)])),
  consumer: Type.Optional(Type.Union([Type.String(), Type.Object({ username: Type.Optional(Type.String()), id: Type.Optional(KongId) }, Strict)])),
}, Strict);

const KongConsumer = Type.Object({
  username: Type.Optional(Type.String({ minLength: 1 })),
  custom_id: Type.Optional(Type.String({ minLength: 1 })),
  id: Type.Optional(KongId),
  tags: Type.Optional(KongTags),
  keyauth_credentials: Type.Optional(Type.Array(Type.Object({
    key: Type.String({ minLength: 1 }), id: Type.Optional(KongId), tags: Type.Optional(KongTags), ttl: Type.Optional(Type.Integer()),
  }, Strict))),
  jwt_secrets: Type.Optional(Type.Array(Type.Object({
    key: Type.String({ minLength: 1 }),
    secret: Type.Optional(Type.String()),
    algorithm: Type.Optional(Type.Union(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'EdDSA'].map((a) => Type.Literal(a)), { default: 'HS256' })),
    rsa_public_key: Type.Optional(Type.String()),
    id: Type.Optional(KongId),
    tags: Type.Optional(KongTags),
  }, Strict))),
  acls: Type.Optional(Type.Array(Type.Object({ group: Type.String({ minLength: 1 }), id: Type.Optional(KongId), tags: Type.Optional(KongTags) }, Strict))),
  plugins: Type.Optional(Type.Array(KongPlugin)),
}, Strict);

const KongRoute = Type.Object({
  name: Type.Optional(Name),
  id: Type.Optional(KongId),
  paths: Type.Optional(Type.Array(Str('^[/~]', 'must start with "/" (or "~" for a regex)'))),
  methods: Type.Optional(Type.Array(Str('^[A-Z]+$', 'must be an upper-case HTTP method'))),
  hosts: Type.Optional(Type.Array(Str('^(\\*\\.)?[A-Za-z0-9.-]+(\\.\\*)?(:[0-9]+)?$', 'must be a host name, optionally with one leading or trailing "*" label'))),
  protocols: Type.Optional(Type.Array(Type.Union([Type.Literal('http'), Type.Literal('https'), Type.Literal('grpc'), Type.Literal('grpcs')]), { minItems: 1, description: 'default [http, https]; an https-only route answers plain HTTP with https_redirect_status_code; grpc (h2c) and grpcs (TLS) routes take gRPC calls only' })),
  snis: Type.Optional(Type.Array(SniName, { minItems: 1, description: 'TLS server names (from the handshake) this route matches' })),
  strip_path: Type.Optional(Type.Boolean({ default: KONG_ROUTE_DEFAULTS.strip_path })),
  preserve_host: Type.Optional(Type.Boolean({ default: KONG_ROUTE_DEFAULTS.preserve_host })),
  regex_priority: Type.Optional(Type.Integer({ default: KONG_ROUTE_DEFAULTS.regex_priority })),
  headers: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String(), { minItems: 1 }), { description: 'header name → accepted values; a value starting with "~*" is a case-insensitive regex' })),
  https_redirect_status_code: Type.Optional(Type.Union([426, 301, 302, 307, 308].map((c) => Type.Literal(c)), { default: KONG_ROUTE_DEFAULTS.https_redirect_status_code })),
  request_buffering: Type.Optional(Type.Boolean()),
  response_buffering: Type.Optional(Type.Boolean()),
  path_handling: Type.Optional(Type.Union([Type.Literal('v0'), Type.Literal('v1')], { description: 'v0 (how meshgate joins the service path and the stripped request path); v1 is refused' })),
  tags: Type.Optional(KongTags),
  plugins: Type.Optional(Type.Array(KongPlugin)),
}, Strict);

const KongService = Type.Object({
  name: Name,
  id: Type.Optional(KongId),
  url: Type.Optional(HttpUrl),
  protocol: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https'), Type.Literal('grpc'), Type.Literal('grpcs')], { description: 'grpc/grpcs: calls go upstream over HTTP/2 (h2c / TLS), for grpc routes' })),
  host: Type.Optional(Str('^[A-Za-z0-9_.-]+$', 'must be a host name or address')),
  port: Type.Optional(Port),
  path: Type.Optional(Str('^/', 'must start with "/"')),
  retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 32767, default: KONG_SERVICE_DEFAULTS.retries })),
  connect_timeout: Type.Optional(Millis),
  read_timeout: Type.Optional(Millis),
  write_timeout: Type.Optional(Millis),
  per_try_timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 2, description: 'meshgate: ms to wait for response headers per attempt; a timed-out idempotent request is retried on another endpoint' })),
  enabled: Type.Optional(Type.Boolean()),
  tags: Type.Optional(KongTags),
  routes: Type.Optional(Type.Array(KongRoute)),
  plugins: Type.Optional(Type.Array(KongPlugin)),
}, Strict);

const KongTarget = Type.Object({
  target: Str(`^[A-Za-z0-9_.-]+(:${PORT_RE})?$`, 'must be HOST or HOST:PORT'),
  weight: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, default: KONG_TARGET_WEIGHT })),
  tags: Type.Optional(KongTags),
}, Strict);

const Statuses = Type.Array(Type.Integer({ minimum: 100, maximum: 999 }));
const Count = Type.Integer({ minimum: 0, maximum: 255 });
const Seconds = Type.Number({ minimum: 0, maximum: 65535 });

/** Kong's upstream healthchecks, plus meshgate's ejection settings (Envoy's outlier detection). */
const KongHealthchecks = Type.Object({
  threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 100, description: 'panic threshold %: below this share of available targets, all are used' })),
  active: Type.Optional(Type.Object({
    type: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https'), Type.Literal('tcp')])),
    http_path: Type.Optional(Str('^/', 'must start with "/"')),
    timeout: Type.Optional(Seconds),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 2147483648 })),
    https_verify_certificate: Type.Optional(Type.Boolean()),
    https_sni: Type.Optional(Type.String()),
    headers: Type.Optional(Type.Record(Type.String(), Type.Array(Type.String()))),
    healthy: Type.Optional(Type.Object({ interval: Type.Optional(Seconds), http_statuses: Type.Optional(Statuses), successes: Type.Optional(Count) }, Strict)),
    unhealthy: Type.Optional(Type.Object({
      interval: Type.Optional(Seconds), http_statuses: Type.Optional(Statuses), tcp_failures: Type.Optional(Count),
      timeouts: Type.Optional(Count), http_failures: Type.Optional(Count),
    }, Strict)),
  }, Strict)),
  passive: Type.Optional(Type.Object({
    type: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https'), Type.Literal('tcp')])),
    healthy: Type.Optional(Type.Object({ http_statuses: Type.Optional(Statuses), successes: Type.Optional(Count) }, Strict)),
    unhealthy: Type.Optional(Type.Object({
      http_statuses: Type.Optional(Statuses), tcp_failures: Type.Optional(Count), timeouts: Type.Optional(Count), http_failures: Type.Optional(Count),
    }, Strict)),
    ejection_base_time: Type.Optional(Duration),
    ejection_max_time: Type.Optional(Duration),
    max_ejection_percent: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
  }, { ...Strict, description: 'Kong fields; ejection_* and max_ejection_percent are meshgate\'s (Envoy outlier detection)' })),
}, Strict);

/** Kong's hash inputs (kong/db/schema/entities/upstreams.lua) */
const HashOn = Type.Union([
  Type.Literal('none'), Type.Literal('consumer'), Type.Literal('ip'), Type.Literal('header'), Type.Literal('cookie'),
  Type.Literal('path'), Type.Literal('query_arg'), Type.Literal('uri_capture'),
], { default: 'none' });
const HeaderName = Str('^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', 'must be a header name');

const KongUpstream = Type.Object({
  name: Str('^[A-Za-z0-9_.-]+$', 'must be a host name'),
  algorithm: Type.Optional(Type.Union(BALANCER_NAMES.map((n) => Type.Literal(n)), {
    default: 'round-robin', description: 'Kong round-robin, least-connections, consistent-hashing and latency; least-request is meshgate\'s (Envoy P2C)',
  })),
  hash_on: Type.Optional(HashOn),
  hash_fallback: Type.Optional(HashOn),
  hash_on_header: Type.Optional(HeaderName),
  hash_fallback_header: Type.Optional(HeaderName),
  hash_on_cookie: Type.Optional(Str('^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', 'must be a cookie name')),
  hash_on_cookie_path: Type.Optional(Str('^/[^;\\s]*$', 'must be a path starting with "/" (no ";" or spaces)', { default: '/' })),
  hash_on_query_arg: Type.Optional(Type.String({ minLength: 1 })),
  hash_fallback_query_arg: Type.Optional(Type.String({ minLength: 1 })),
  hash_on_uri_capture: Type.Optional(Type.String({ minLength: 1 })),
  hash_fallback_uri_capture: Type.Optional(Type.String({ minLength: 1 })),
  slots: Type.Optional(Type.Integer({ minimum: 10, maximum: 65536, default: KONG_UPSTREAM_SLOTS, description: 'the consistent-hashing table size (rounded up to a prime)' })),
  targets: Type.Optional(Type.Array(KongTarget)),
  healthchecks: Type.Optional(KongHealthchecks),
  passive: Type.Optional(Type.Object({
    max_fails: Type.Optional(Type.Integer({ minimum: 0, default: PASSIVE_HEALTH_DEFAULTS.max_fails })),
    fail_timeout: Type.Optional(Duration),
  }, { ...Strict, description: 'meshgate extension: passive health (nginx max_fails/fail_timeout)' })),
  tags: Type.Optional(KongTags),
}, Strict);

/** Kong's DB-less declarative format (decK), the subset meshgate implements. */
export const KongDeclarative = Type.Object({
  _format_version: Type.Union([Type.Literal('3.0'), Type.Literal('2.1'), Type.Literal('1.1')]),
  _transform: Type.Optional(Type.Boolean()),
  _info: Type.Optional(Type.Object({
    select_tags: Type.Optional(KongTags),
  }, { additionalProperties: true, description: 'decK metadata: select_tags are tags (no runtime behaviour); other keys (defaults, …) are refused' })),
  services: Type.Optional(Type.Array(KongService)),
  upstreams: Type.Optional(Type.Array(KongUpstream)),
  consumers: Type.Optional(Type.Array(KongConsumer)),
  plugins: Type.Optional(Type.Array(KongPlugin)),
  certificates: Type.Optional(Type.Array(KongCertificate)),
  snis: Type.Optional(Type.Array(KongSni)),
}, Strict);

export const EdgeSection = Type.Object({
  listen: Type.Optional(HostPort),
  listen_tls: Type.Optional(HostPort),
  tls: Type.Optional(EdgeTls),
  http2: Type.Optional(EdgeHttp2),
  limits: Type.Optional(ListenerLimits),
  http: Type.Optional(EdgeHttp),
  trusted_proxies: Type.Optional(Type.Array(Cidr)),
  via_sidecars: Type.Optional(Type.Boolean({ default: true, description: 'reach Consul services through their sidecars (/v1/health/connect) rather than directly' })),
  kong: KongDeclarative,
}, { ...Strict, description: `defaults: ${JSON.stringify(EDGE_DEFAULTS)}` });

export const MeshgateConfig = Type.Object({
  consul: Type.Optional(ConsulSection),
  agent: Type.Optional(AgentSection),
  mesh: Type.Optional(MeshSection),
  sidecar: Type.Optional(SidecarSection),
  edge: Type.Optional(EdgeSection),
}, { ...Strict, title: 'meshgate agent configuration' });

export type MeshgateConfig = Static<typeof MeshgateConfig>;
export type KongDeclarative = Static<typeof KongDeclarative>;
export type KongService = Static<typeof KongService>;
export type KongRoute = Static<typeof KongRoute>;
export type KongUpstream = Static<typeof KongUpstream>;
export type KongPlugin = Static<typeof KongPlugin>;
export type KongHealthchecks = Static<typeof KongHealthchecks>;
export type KongConsumer = Static<typeof KongConsumer>;
export type LocalService = Static<typeof LocalService>;
export type SidecarSection = Static<typeof SidecarSection>;
export type EdgeSection = Static<typeof EdgeSection>;
export type CheckSpec = Static<typeof CheckSpec>;
export type MeshSection = Static<typeof MeshSection>;

/** Kong entities that exist in decK files but that this version does not implement yet. */
export const UNSUPPORTED_KONG_ENTITIES: Readonly<Record<string, string>> = {
  ca_certificates: 'Kong ca_certificates are not supported yet',
  routes: 'top-level routes are not supported yet; nest them under services[].routes',
  vaults: 'Kong vaults are not supported',
};

export const schemas: Record<string, TSchema> = { MeshgateConfig, KongDeclarative };
