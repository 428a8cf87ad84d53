// The one spelling of a request's authority that routing, plugins (cache keys) and the upstream
// see (docs/http-strictness.md): DNS names are case-insensitive and a trailing dot names the same
// host (RFC 4343, RFC 1034 §3.1); the scheme's default port is the same authority as none
// (RFC 3986 §6.2.3). `API.Example.:80`, `api.example.` and `api.example` share one route, one
// cache entry and one Host upstream. The input has passed strict-request's Host grammar.

/** Anything that may need rewriting; most requests carry an already-canonical Host. */
const NEEDS_WORK = /[A-Z:]|\.$/;

/** `defaultPort` is the listener scheme's ("80" for http, "443" for https). */
export function canonicalHost(host: string, defaultPort: string): string {
  if (!NEEDS_WORK.test(host)) return host;
  const lower = host.toLowerCase();
  const colon = lower.startsWith('[') ? lower.indexOf(']:') + 1 : lower.lastIndexOf(':');
  let name = colon > 0 ? lower.slice(0, colon) : lower;
  let port = colon > 0 ? lower.slice(colon + 1) : '';
  if (!name.startsWith('[')) while (name.endsWith('.')) name = name.slice(0, -1);
  if (port !== '' && /^[0-9]+$/.test(port)) port = String(Number(port));
  return port === '' || port === defaultPort ? name : `${name}:${port}`;
}
