// A reload's consul.address, token, token_file and datacenter. The agent's one Consul client is
// re-pointed in place, so everything that holds it follows: watchers keep their last answers
// (pools keep serving) and ask the new agent, the registrars register with it within their
// reconcile period and leave the previous agent, the mesh CA watch and intentions re-read.
import type { Logger } from 'pino';
import type { MeshgateConfig } from '../../proto/config-schema.js';
import { CONSUL_DEFAULTS } from '../../proto/defaults.js';
import { ConsulClient } from '../../registrar/consul-client.js';
import { consulTokens } from './consul-acl.js';

/** The part of the config a re-point acts on; the command line's --consul wins over the file's address. */
export interface ConsulSettings {
  readonly address: string;
  readonly token: string | undefined;
  readonly tokenFile: string | undefined;
  readonly datacenter: string | undefined;
}

export function consulSettings(cfg: MeshgateConfig, addressOverride: string | undefined): ConsulSettings {
  return {
    address: (addressOverride ?? cfg.consul?.address ?? CONSUL_DEFAULTS.address).replace(/\/+$/, ''),
    token: cfg.consul?.token, tokenFile: cfg.consul?.token_file, datacenter: cfg.consul?.datacenter,
  };
}

/** What a reload does with Consul: nothing, or re-point (and whether the agent changes, so registrations move). */
export type ConsulPlan = { readonly kind: 'keep' } | { readonly kind: 'repoint'; readonly agentChanged: boolean };

export function planConsulReload(running: ConsulSettings, next: ConsulSettings): ConsulPlan {
  const same = running.address === next.address && running.token === next.token
    && running.tokenFile === next.tokenFile && running.datacenter === next.datacenter;
  return same ? { kind: 'keep' } : { kind: 'repoint', agentChanged: running.address !== next.address };
}

export interface PreparedConsulReload {
  readonly plan: ConsulPlan;
  commit(): void;
  abort(): void;
}

const KEEP: PreparedConsulReload = { plan: { kind: 'keep' }, commit() {}, abort() {} };

/**
 * Checks what can fail (a token file that cannot be read: a ConfigError naming consul.token_file)
 * and returns the swap. `leave` removes this agent's registrations from the previous Consul agent.
 */
export function prepareConsulReload(
  file: string, running: ConsulSettings, nextConfig: MeshgateConfig, addressOverride: string | undefined,
  client: ConsulClient, log: Logger, leave: (previous: ConsulClient) => Promise<unknown>,
): PreparedConsulReload {
  const next = consulSettings(nextConfig, addressOverride);
  const plan = planConsulReload(running, next);
  if (plan.kind === 'keep') return KEEP;
  const tokens = consulTokens(file, nextConfig.consul, log);
  return {
    plan,
    commit() {
      const previous = client.repoint({ address: next.address, tokens, datacenter: next.datacenter });
      log.info({ consul: next.address, datacenter: next.datacenter ?? null, token_source: tokens.origin }, 'consul settings reloaded; watchers ask again');
      if (!plan.agentChanged) { previous.tokens.close(); return; }
      const old = new ConsulClient({ address: previous.address, tokens: previous.tokens, ...(previous.datacenter ? { datacenter: previous.datacenter } : {}) });
      void leave(old).finally(() => old.close());
    },
    abort() { tokens.close(); },
  };
}
