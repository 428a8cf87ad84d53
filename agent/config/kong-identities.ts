// Kong's identity fields: `id` (a UUID, checked by the schema) and the names Kong keeps unique.
// They act only as identities and references (plugins[].service/route/consumer, snis[].certificate),
// so a value two entities share would make a reference ambiguous: refused, as Kong's primary and
// unique keys refuse it. decK's `_info` is metadata: select_tags are tags; its other keys
// (defaults, default_lookup_tags, …) change how decK builds entities and are refused.
import type { KongDeclarative } from '../../proto/config-schema.js';
import type { ConfigIssue } from './config-error.js';
import { formatPath } from './config-error.js';

type Path = (string | number)[];

/** Records each value once per kind; a second holder is an issue at its own path. */
class UniqueKeys {
  readonly #seen = new Map<string, string>();
  constructor(readonly issues: ConfigIssue[]) {}
  /** `secret`: the value is a credential, so the message does not repeat it */
  claim(kind: string, value: string | undefined, at: Path, secret = false): void {
    if (value === undefined) return;
    const key = `${kind}\u0000${value}`;
    const first = this.#seen.get(key);
    const what = secret ? kind : `${kind} "${value}"`;
    if (first !== undefined) this.issues.push({ path: formatPath(at), message: `${what} is already used by ${first}` });
    else this.#seen.set(key, formatPath(at));
  }
}

const INFO_KEYS: ReadonlySet<string> = new Set(['select_tags']);

export function kongIdentityRules(kong: KongDeclarative, prefix: Path, issues: ConfigIssue[]): void {
  const u = new UniqueKeys(issues);
  for (const key of Object.keys(kong._info ?? {})) {
    if (!INFO_KEYS.has(key)) issues.push({ path: formatPath([...prefix, '_info', key]), message: 'not supported: meshgate reads the entities as written (only _info.select_tags, which are tags, is accepted); remove the key' });
  }
  const plugins = (list: KongDeclarative['plugins'], at: Path) => list?.forEach((p, i) => {
    u.claim('plugin id', p.id, [...at, i, 'id']);
    u.claim('plugin instance_name', p.instance_name, [...at, i, 'instance_name']);
  });
  plugins(kong.plugins, [...prefix, 'plugins']);
  kong.services?.forEach((s, i) => {
    const sat = [...prefix, 'services', i];
    u.claim('service id', s.id, [...sat, 'id']);
    plugins(s.plugins, [...sat, 'plugins']);
    s.routes?.forEach((r, j) => {
      const rat = [...sat, 'routes', j];
      u.claim('route id', r.id, [...rat, 'id']);
      u.claim('route name', r.name, [...rat, 'name']);
      plugins(r.plugins, [...rat, 'plugins']);
    });
  });
  kong.consumers?.forEach((c, i) => {
    const cat = [...prefix, 'consumers', i];
    u.claim('consumer id', c.id, [...cat, 'id']);
    u.claim('consumer username', c.username, [...cat, 'username']);
    u.claim('consumer custom_id', c.custom_id, [...cat, 'custom_id']);
    if (c.username === undefined && c.custom_id === undefined) issues.push({ path: formatPath(cat), message: 'needs at least one of username or custom_id' });
    c.keyauth_credentials?.forEach((k, j) => {
      u.claim('keyauth_credentials id', k.id, [...cat, 'keyauth_credentials', j, 'id']);
      u.claim('key-auth key', k.key, [...cat, 'keyauth_credentials', j, 'key'], true);
    });
    c.jwt_secrets?.forEach((k, j) => {
      u.claim('jwt_secrets id', k.id, [...cat, 'jwt_secrets', j, 'id']);
      u.claim('jwt_secrets key', k.key, [...cat, 'jwt_secrets', j, 'key']);
    });
    c.acls?.forEach((a, j) => u.claim('acls id', a.id, [...cat, 'acls', j, 'id']));
    plugins(c.plugins, [...cat, 'plugins']);
  });
  kong.certificates?.forEach((c, i) => {
    u.claim('certificate id', c.id, [...prefix, 'certificates', i, 'id']);
    c.snis?.forEach((s, j) => { if (typeof s !== 'string') u.claim('sni id', s.id, [...prefix, 'certificates', i, 'snis', j, 'id']); });
  });
  kong.snis?.forEach((s, i) => u.claim('sni id', s.id, [...prefix, 'snis', i, 'id']));
}
