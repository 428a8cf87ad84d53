// Defaults shared by the schema (documented there for editors) and the compiler.
export const KONG_SERVICE_DEFAULTS = {
  protocol: 'http',
  port: 80,
  retries: 5,
  connect_timeout: 60_000,
  read_timeout: 60_000,
  write_timeout: 60_000,
} as const;

export const KONG_ROUTE_DEFAULTS = {
  strip_path: true,
  preserve_host: false,
  regex_priority: 0,
  https_redirect_status_code: 426,
} as const;

export const KONG_TARGET_WEIGHT = 100;
/** Kong's upstream `slots` default */
export const KONG_UPSTREAM_SLOTS = 10000;

export const AGENT_DEFAULTS = {
  admin: '127.0.0.1:9901',
  log_level: 'info',
  drain_timeout: '10s',
  upstream_keepalive_timeout: '300s',
} as const;

export const DECK_ONLY_DEFAULTS = {
  listen: '0.0.0.0:8000',
  admin: '127.0.0.1:8001',
  /** Kong's proxy_listen for TLS: used when the decK file has certificates */
  listen_tls: '0.0.0.0:8443',
} as const;

export const EDGE_DEFAULTS = { listen: '0.0.0.0:8080' } as const;

export const CONSUL_DEFAULTS = { address: 'http://127.0.0.1:8500' } as const;

/** Passive health, nginx's vocabulary: max_fails failures within fail_timeout skip the endpoint for fail_timeout. */
export const PASSIVE_HEALTH_DEFAULTS = { max_fails: 3, fail_timeout: '10s' } as const;

/** Kong's healthchecks defaults, and meshgate's ejection defaults (Envoy's outlier detection). */
export const HEALTHCHECK_DEFAULTS = {
  passiveUnhealthyStatuses: [429, 500, 503],
  passiveHealthyStatuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
  activeHealthyStatuses: [200, 302],
  activeUnhealthyStatuses: [429, 404, 500, 501, 502, 503, 504, 505],
  activeTimeoutS: 1,
  activeHttpPath: '/',
  ejectionBaseTime: '30s',
  ejectionMaxTime: '300s',
  maxEjectionPercent: 10,
} as const;
