// Kong fields the schema accepts (decK files carry them) whose Kong behaviour meshgate does not have:
// the value that matches what meshgate does is accepted, any other is refused naming its path —
// never accepted and then ignored.
import type { KongDeclarative, KongPlugin } from '../../proto/config-schema.js';
import type { ConfigIssue } from './config-error.js';
import { formatPath } from './config-error.js';
import { upstreamHashRules } from './upstream-hash-rules.js';

/** a plugin listing both http and https runs exactly where Kong would on HTTP routes (gRPC routes: grpc-rules.ts) */
const SERVED_PROTOCOLS = ['http', 'https'] as const;

function pluginRules(plugins: readonly KongPlugin[] | undefined, at: (string | number)[], issues: ConfigIssue[]): void {
  plugins?.forEach((p, i) => {
    if (p.protocols === undefined) return;
    const missing = SERVED_PROTOCOLS.filter((proto) => !p.protocols?.includes(proto));
    if (missing.length > 0) {
      issues.push({ path: formatPath([...at, i, 'protocols']), message: `not supported: a plugin limited to some protocols (this one leaves out ${missing.join(', ')}); list both http and https, or remove the field` });
    }
  });
}

export function unsupportedKongFields(kong: KongDeclarative, prefix: (string | number)[], issues: ConfigIssue[]): void {
  pluginRules(kong.plugins, [...prefix, 'plugins'], issues);
  kong.services?.forEach((s, i) => {
    const sat = [...prefix, 'services', i];
    pluginRules(s.plugins, [...sat, 'plugins'], issues);
    s.routes?.forEach((r, j) => {
      const rat = [...sat, 'routes', j];
      pluginRules(r.plugins, [...rat, 'plugins'], issues);
      if (r.request_buffering === true) issues.push({ path: formatPath([...rat, 'request_buffering']), message: 'not supported: meshgate streams request bodies (request_buffering: false); set false or remove the field' });
      if (r.path_handling === 'v1') issues.push({ path: formatPath([...rat, 'path_handling']), message: 'not supported: meshgate joins the service path and the request path as Kong\'s v0 does; set v0 or remove the field' });
      if (r.response_buffering === true) issues.push({ path: formatPath([...rat, 'response_buffering']), message: 'not supported: meshgate streams response bodies (response_buffering: false); set false or remove the field' });
    });
  });
  kong.consumers?.forEach((c, i) => {
    const cat = [...prefix, 'consumers', i];
    pluginRules(c.plugins, [...cat, 'plugins'], issues);
    c.keyauth_credentials?.forEach((k, j) => {
      if (k.ttl !== undefined) issues.push({ path: formatPath([...cat, 'keyauth_credentials', j, 'ttl']), message: 'not supported: key-auth credentials do not expire in meshgate; remove the field' });
    });
  });
  kong.upstreams?.forEach((u, i) => {
    const a = u.healthchecks?.active;
    const aat = [...prefix, 'upstreams', i, 'healthchecks', 'active'];
    upstreamHashRules(u, [...prefix, 'upstreams', i], issues);
    if (a?.concurrency !== undefined) issues.push({ path: formatPath([...aat, 'concurrency']), message: 'not supported: meshgate probes every target on its own timer; remove the field' });
    if (a?.https_verify_certificate === false) issues.push({ path: formatPath([...aat, 'https_verify_certificate']), message: 'not supported: https probes always verify the certificate (true); set true or remove the field' });
    if (a?.https_sni !== undefined) issues.push({ path: formatPath([...aat, 'https_sni']), message: 'not supported: https probes send the target host as SNI; remove the field' });
  });
}
