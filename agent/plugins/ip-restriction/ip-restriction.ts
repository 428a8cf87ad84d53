// Kong 3's `ip-restriction` plugin: deny is checked first, then allow (when given, the client
// must be in it). The client is ctx.clientIp, which already honours trusted_proxies; a raw
// X-Forwarded-For is never read here.
import type { BlockList } from 'node:net';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { RequestContext } from '../context.js';
import type { PluginFactory, PluginInstance, ShortCircuit } from '../plugin.js';
import { kongError } from '../respond.js';
import { clientAddress, compileAddressList, parseEntry } from './address-list.js';

/** decK writes unset fields as null */
const nullable = <T extends TSchema>(t: T) => Type.Optional(Type.Union([t, Type.Null()]));

const IpRestrictionConfig = Type.Object({
  allow: nullable(Type.Array(Type.String())),
  deny: nullable(Type.Array(Type.String())),
  status: nullable(Type.Integer({ minimum: 100, maximum: 599 })),
  message: nullable(Type.String()),
}, { additionalProperties: false });

export type IpRestrictionConfig = Static<typeof IpRestrictionConfig>;

function validateIpRestriction(config: IpRestrictionConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  if ((config.allow ?? []).length === 0 && (config.deny ?? []).length === 0) {
    issues.push({ path: '', message: "at least one of these fields must be non-empty: 'config.allow', 'config.deny'" });
  }
  for (const key of ['allow', 'deny'] as const) {
    (config[key] ?? []).forEach((entry, i) => {
      if (parseEntry(entry) === null) issues.push({ path: `${key}.${i}`, message: `invalid ip or cidr range: '${entry}'` });
    });
  }
  return issues;
}

class IpRestrictionInstance implements PluginInstance {
  readonly name = 'ip-restriction';
  readonly priority = 990;
  readonly #allow: BlockList | null;
  readonly #deny: BlockList | null;
  readonly #status: number;
  readonly #message: string | null;

  constructor(config: IpRestrictionConfig) {
    this.#allow = config.allow?.length ? compileAddressList(config.allow) : null;
    this.#deny = config.deny?.length ? compileAddressList(config.deny) : null;
    this.#status = config.status ?? 403;
    this.#message = config.message ?? null;
  }

  access(ctx: RequestContext): ShortCircuit | undefined {
    const client = clientAddress(ctx.clientIp);
    if (client === null) return kongError(403, 'Cannot identify the client IP address, unix domain sockets are not supported.');
    const blocked = (this.#deny !== null && this.#deny.check(client.address, client.family))
      || (this.#allow !== null && !this.#allow.check(client.address, client.family));
    if (!blocked) return undefined;
    return kongError(this.#status, this.#message ?? `IP address not allowed: ${ctx.clientIp}`);
  }
}

export const ipRestrictionPlugin: PluginFactory<IpRestrictionConfig> = {
  name: 'ip-restriction',
  priority: 990,
  configSchema: IpRestrictionConfig,
  validate: validateIpRestriction,
  create(config) {
    return new IpRestrictionInstance(config);
  },
};
