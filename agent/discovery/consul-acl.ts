// The agent's side of Consul ACLs: its token source built from the config (a token file that
// cannot be read at start is a configuration error), and what happens when Consul refuses a
// request: a metric per missing permission and an error log naming it, at most once a minute per
// permission. Watchers keep their backoff and last-known-good state; nothing exits. And the agent's
// one Consul client, built from all of that.
import type { Logger } from 'pino';
import { ConfigError } from '../config/config-error.js';
import type { Metrics } from '../observe/metrics.js';
import { ConsulClient, type ConsulPermissionError } from '../../registrar/consul-client.js';
import type { MeshgateConfig } from '../../proto/config-schema.js';
import { CONSUL_DEFAULTS } from '../../proto/defaults.js';
import { createTokenSource, type TokenSource } from '../../registrar/token-source.js';

const LOG_EVERY_MS = 60_000;

export function consulTokens(file: string, consul: { token?: string; token_file?: string } | undefined, log: Logger): TokenSource {
  if (consul?.token && consul.token_file) {
    throw new ConfigError(file, [{ path: 'consul.token_file', message: 'cannot be combined with consul.token' }]);
  }
  try {
    const tokens = createTokenSource({
      ...(consul?.token ? { token: consul.token } : {}), ...(consul?.token_file ? { tokenFile: consul.token_file } : {}),
      onFileError: (err) => log.error({ err: err.message }, 'cannot read the Consul token file; the last token stays in use'),
    });
    tokens.onChange(() => log.info({ origin: tokens.origin }, 'Consul token changed; in use from the next request'));
    return tokens;
  } catch (err) {
    const where = consul?.token_file ? 'consul.token_file' : 'CONSUL_HTTP_TOKEN_FILE';
    throw new ConfigError(file, [{ path: consul?.token_file ? where : '', message: `${where}: cannot read the token: ${(err as Error).message}` }]);
  }
}

export function reportPermissionDenied(log: Logger, metrics: Metrics): (err: ConsulPermissionError) => void {
  const lastLogged = new Map<string, number>();
  return (err) => {
    metrics.consulPermissionDenied.labels(err.permission).inc();
    const now = Date.now();
    if (now - (lastLogged.get(err.permission) ?? -Infinity) < LOG_EVERY_MS) return;
    lastLogged.set(err.permission, now);
    log.error({ missing_permission: err.permission, path: err.path, consul: err.detail.slice(0, 200) }, `Consul refused the request: the ACL token lacks ${err.permission}`);
  };
}

/**
 * The agent's one Consul client: its address (the command line's over the file's), its tokens
 * (rotated from a file), its datacenter, and permission errors logged and counted.
 */
export function agentConsulClient(file: string, cfg: MeshgateConfig, addressOverride: string | undefined, log: Logger, metrics: Metrics): ConsulClient {
  const consul = new ConsulClient({
    address: addressOverride ?? cfg.consul?.address ?? CONSUL_DEFAULTS.address,
    tokens: consulTokens(file, cfg.consul, log),
    ...(cfg.consul?.datacenter ? { datacenter: cfg.consul.datacenter } : {}),
    onPermissionDenied: reportPermissionDenied(log.child({ component: 'consul' }), metrics),
  });
  metrics.consulStats = consul.stats;
  return consul;
}
