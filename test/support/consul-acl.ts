// ACL policies per meshgate role, exactly as the README prints them, and the few Consul ACL API
// calls the tests make with the bootstrap (management) token.
import type { Harness } from './harness.js';

export const ACL_CONSUL_CONFIG = { acl: { enabled: true, default_policy: 'deny', enable_token_persistence: true } };

/** A sidecar for `services`, calling `upstreams`; `consulNode` is the local Consul agent's node name. */
export function sidecarPolicy(services: readonly string[], upstreams: readonly string[], consulNode: string): string {
  return [
    ...services.flatMap((s) => [`service "${s}" { policy = "write" intentions = "read" }`, `service "${s}-sidecar-proxy" { policy = "write" }`]),
    ...upstreams.map((u) => `service_prefix "${u}" { policy = "read" }`),
    'service_prefix "" { policy = "deny" intentions = "read" }',
    'node_prefix "" { policy = "read" }',
    `agent "${consulNode}" { policy = "read" }`,
  ].join('\n');
}

/** An edge with mesh identity `identity`, routing to `routed` services. */
export function edgePolicy(identity: string, routed: readonly string[]): string {
  return [
    'service "meshgate-edge" { policy = "write" }',
    `service "${identity}" { policy = "write" }`,
    ...routed.map((r) => `service_prefix "${r}" { policy = "read" }`),
    'node_prefix "" { policy = "read" }',
  ].join('\n');
}

export class ConsulAcl {
  constructor(readonly h: Harness, readonly management: string) {}

  /** Right after the election Consul answers "ACL system is currently in legacy mode" for a moment: retry (bounded). */
  static async bootstrap(h: Harness): Promise<ConsulAcl> {
    let last = '';
    for (let attempt = 0; attempt < 100; attempt++) {
      const r = await h.http.request(`${h.consul.httpAddress}/v1/acl/bootstrap`, { method: 'PUT', timeoutMs: 10_000 });
      if (r.status === 200) return new ConsulAcl(h, r.json<{ SecretID: string }>().SecretID);
      last = `HTTP ${r.status} ${r.text}`;
      if (!/legacy mode/i.test(r.text)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`acl bootstrap: ${last}`);
  }

  async call<T>(method: string, p: string, body?: unknown): Promise<T> {
    const r = await this.h.http.request(`${this.h.consul.httpAddress}/v1${p}`, {
      method, headers: { 'x-consul-token': this.management }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), timeoutMs: 10_000,
    });
    if (r.status !== 200) throw new Error(`${method} ${p}: HTTP ${r.status} ${r.text}`);
    return (r.text ? JSON.parse(r.text) : null) as T;
  }

  /** A token holding one new policy with `rules`; returns its secret. */
  async token(name: string, rules: string): Promise<string> {
    await this.call('PUT', '/acl/policy', { Name: name, Rules: rules });
    return (await this.call<{ SecretID: string }>('PUT', '/acl/token', { Description: name, Policies: [{ Name: name }] })).SecretID;
  }

  async intention(source: string, destination: string, action: 'allow' | 'deny'): Promise<string> {
    return (await this.call<{ ID: string }>('POST', '/connect/intentions', { SourceName: source, DestinationName: destination, Action: action })).ID;
  }

  async setIntentionAction(id: string, source: string, destination: string, action: 'allow' | 'deny'): Promise<void> {
    await this.call('PUT', `/connect/intentions/${id}`, { SourceName: source, DestinationName: destination, Action: action });
  }

  async deleteIntention(id: string): Promise<void> { await this.call('DELETE', `/connect/intentions/${id}`); }
}
