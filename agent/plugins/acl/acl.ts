// Kong's `acl` plugin: allow or deny by the authenticated consumer's groups (consumers[].acls).
// Runs after the auth plugins (priority 950), so it only reads what they decided.
import { Type } from '@sinclair/typebox';
import type { RequestContext } from '../context.js';
import type { AccessResult, PluginFactory } from '../plugin.js';
import { kongError } from '../respond.js';

export interface AclConfig {
  allow?: string[] | null;
  deny?: string[] | null;
  hide_groups_header: boolean;
  always_use_authenticated_groups: boolean;
}

const Groups = Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1 })), Type.Null()]));

const configSchema = Type.Object({
  allow: Groups,
  deny: Groups,
  hide_groups_header: Type.Boolean({ default: false }),
  always_use_authenticated_groups: Type.Boolean({ default: false }),
}, { additionalProperties: false });

/**
 * Groups another plugin established without a consumer (Kong's ctx.shared.authenticated_groups,
 * set by e.g. LDAP or OAuth2 introspection plugins); sent upstream as X-Authenticated-Groups.
 */
export const AUTHENTICATED_GROUPS = 'authenticated_groups';

const FORBIDDEN = kongError(403, 'You cannot consume this service');
const UNAUTHORIZED = kongError(401, 'Unauthorized');

function authenticatedGroups(ctx: RequestContext): readonly string[] | undefined {
  const g = ctx.shared.get(AUTHENTICATED_GROUPS);
  return Array.isArray(g) && g.length > 0 ? (g as string[]) : undefined;
}

export const aclPlugin: PluginFactory<AclConfig> = {
  name: 'acl',
  priority: 950,
  configSchema,
  validate(config) {
    const given = [config.allow, config.deny].filter((g) => g !== undefined && g !== null && g.length > 0).length;
    return given === 1 ? [] : [{ path: '', message: 'exactly one of these fields must be non-empty: "allow", "deny"' }];
  },
  create(config) {
    // Kong's rule: a non-empty deny makes it a deny list
    const deny = (config.deny ?? []).length > 0;
    const listed = new Set(deny ? config.deny : config.allow ?? []);
    const hide = config.hide_groups_header;
    // a consumer's groups are a frozen array compiled with the config: decide once per array
    const decided = new WeakMap<readonly string[], boolean>();

    function blocked(groups: readonly string[]): boolean {
      let b = decided.get(groups);
      if (b === undefined) {
        const member = groups.some((g) => listed.has(g));
        b = deny ? member : !member;
        decided.set(groups, b);
      }
      return b;
    }

    function pass(ctx: RequestContext, header: string, groups: readonly string[]): AccessResult {
      if (blocked(groups)) return FORBIDDEN;
      if (!hide) ctx.upstreamHeaders.set(header, groups.join(', '));
      return undefined;
    }

    return {
      name: 'acl',
      priority: 950,
      access(ctx) {
        // a client must never choose its own groups
        ctx.upstreamHeaders.remove('x-consumer-groups');
        ctx.upstreamHeaders.remove('x-authenticated-groups');
        const consumer = ctx.consumer;
        if (consumer === null) {
          const auth = authenticatedGroups(ctx);
          if (auth === undefined) return ctx.credential !== null ? FORBIDDEN : UNAUTHORIZED;
          return pass(ctx, 'X-Authenticated-Groups', auth);
        }
        if (ctx.credential === null || config.always_use_authenticated_groups) {
          // authenticated groups override an anonymous consumer's own
          const auth = authenticatedGroups(ctx);
          if (auth !== undefined) return pass(ctx, 'X-Authenticated-Groups', auth);
        }
        if (consumer.groups.length === 0 && !deny) return ctx.credential !== null ? FORBIDDEN : UNAUTHORIZED;
        return pass(ctx, 'X-Consumer-Groups', consumer.groups);
      },
    };
  },
};
