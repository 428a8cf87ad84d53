// What the edge refuses before routing, and which client headers it never forwards. Each rule
// closes a gap between how meshgate and a back end could read the same bytes (docs/http-strictness.md):
// - Host (RFC 9112 §3.2, RFC 9110 §7.2): exactly one, a plain host[:port]; none on HTTP/1.1, two,
//   a list, userinfo or a path → 400 and close (the Host-confusion class of request smuggling).
// - An absolute-form target (RFC 9112 §3.2.2) is routed by its authority, which replaces Host,
//   and forwarded in origin-form.
// - HTTP/1.0 with Transfer-Encoding (RFC 9112 §6.1) → 400 and close; an HTTP/1.0 client is never
//   answered chunked (Node would when it sends `TE: chunked`).
// - An HTTP/1 request line claiming HTTP/2.0 → 505 (nginx does the same).
// - Two Authorization fields → 400: a back end could read the other one than the auth plugin did.
// - Underscored names (`Transfer_Encoding`, CGI/WSGI read them as `-`): dropped, refused or kept
//   (Envoy's headers_with_underscores_action; nginx drops them by default).
// - Headers that rewrite a request's meaning at the back end (X-Original-URL, X-HTTP-Method-Override,
//   X-Forwarded-Prefix, X-Envoy-*…) are dropped unless allowed by name.
import type { EdgeSection } from '../../proto/config-schema.js';
import type { ErrorCode } from '../../proto/errors.js';
import type { InboundRequest, OutboundResponse } from '../pipeline/transport.js';
import type { HeaderFilter } from '../proxy/request-headers.js';
import { compilePathNormalizer, EDGE_PATH_POLICY, LOCAL_PATH_POLICY, type PathNormalizer, type PathPolicy } from '../table/normalize-path.js';

export type UnderscoreAction = 'allow' | 'drop' | 'reject';

/** Dropped at the edge by default: each makes some back end or framework re-route or re-method a request. */
export const REWRITE_HEADERS: readonly string[] = [
  'x-original-url', 'x-rewrite-url', 'x-original-uri', 'x-forwarded-uri', 'x-forwarded-path', 'x-forwarded-prefix',
  'x-http-method-override', 'x-http-method', 'x-method-override', 'x-original-method',
];
/** every header with this prefix (Envoy's internal headers) is dropped unless allowed by name */
export const ENVOY_PREFIX = 'x-envoy-';

/** plain host or IPv4 with an optional port, or a bracketed IPv6 literal: no userinfo, path, list or space */
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_.])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;
const ABSOLUTE = /^https?:\/\//i;

/** Where an absolute-form request goes: its authority replaces Host; url is origin-form. */
export interface RequestTarget {
  readonly host: string;
  readonly url: string;
}

export interface RequestRules {
  /** a refusal code, or the request's target; null: route `req.url` by `req.headers.host` */
  check(req: InboundRequest, res: OutboundResponse): ErrorCode | RequestTarget | null;
  readonly filter: HeaderFilter | null;
  /** the request path's canonical form (edge.http path policy), or null: refuse with MG_BAD_PATH */
  readonly path: PathNormalizer;
}

/** The refusals that leave the message's framing in doubt end the connection after the answer. */
function refuse(res: OutboundResponse, code: ErrorCode): ErrorCode {
  (res as { shouldKeepAlive?: boolean }).shouldKeepAlive = false;
  return code;
}

/** For a sidecar's upstream ports: the local app's requests pass as they are. */
export const PASS_THROUGH: RequestRules = Object.freeze({ check: () => null, filter: null, path: compilePathNormalizer(LOCAL_PATH_POLICY) });

/** edge.http's path fields → the policy; absent fields take Envoy's recommended edge settings */
export function pathPolicy(http: EdgeSection['http']): PathPolicy {
  return {
    mergeSlashes: http?.merge_slashes ?? EDGE_PATH_POLICY.mergeSlashes,
    escapedSlashes: http?.escaped_slashes ?? EDGE_PATH_POLICY.escapedSlashes,
    rejectSemicolons: (http?.path_parameters ?? 'keep') === 'reject',
  };
}

export function compileRequestRules(http: EdgeSection['http']): RequestRules {
  const underscores: UnderscoreAction = http?.headers_with_underscores ?? 'drop';
  const allowed = new Set((http?.allow_headers ?? []).map((h) => h.toLowerCase()));
  const rewrite = new Set(REWRITE_HEADERS.filter((h) => !allowed.has(h)));
  const dropUnderscore = underscores === 'drop';
  const rejectUnderscore = underscores === 'reject';
  const filter: HeaderFilter = {
    drops(lower) {
      if (dropUnderscore && lower.includes('_')) return true;
      if (lower.charCodeAt(0) !== 120 /* x */) return false;
      return rewrite.has(lower) || (lower.startsWith(ENVOY_PREFIX) && !allowed.has(lower));
    },
  };
  // the last Host that passed: almost every request on an edge carries one of a few
  let lastGoodHost = '';
  return {
    filter,
    path: compilePathNormalizer(pathPolicy(http)),
    check(req, res) {
      const raw = req.rawHeaders;
      let hosts = 0;
      let auths = 0;
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i]!;
        if (name.length === 4) { if (name.toLowerCase() === 'host') hosts++; } else if (name.length === 13) { if (name.toLowerCase() === 'authorization') auths++; }
        if (rejectUnderscore && name.includes('_')) return refuse(res, 'MG_BAD_HEADER');
      }
      if (auths > 1) return refuse(res, 'MG_DUPLICATE_HEADER');
      // "HTTP/2.0" on an HTTP/1 request line: Node parses it as HTTP/1; RFC 9110 §15.6.6 answers 505
      if (req.httpVersion.charCodeAt(0) !== 49 /* 1 */ && (req as { stream?: unknown }).stream === undefined) return refuse(res, 'MG_HTTP_VERSION');
      const http10 = req.httpVersion === '1.0';
      if (http10) {
        if (req.headers['transfer-encoding'] !== undefined) return refuse(res, 'MG_BAD_FRAMING');
        (res as { useChunkedEncodingByDefault?: boolean }).useChunkedEncodingByDefault = false;
      }
      if (hosts > 1 || (hosts === 0 && !http10)) return refuse(res, 'MG_BAD_HOST');
      if (hosts === 1) {
        const host = req.headers.host!;
        if (host !== lastGoodHost) {
          if (!HOST.test(host)) return refuse(res, 'MG_BAD_HOST');
          lastGoodHost = host;
        }
      }
      const url = req.url ?? '/';
      if (url.charCodeAt(0) === 47 /* / */ || !ABSOLUTE.test(url)) return null;
      return absoluteTarget(url) ?? refuse(res, 'MG_BAD_HOST');
    },
  };
}

/** `http://authority/path?q` → the authority and `/path?q`; null when the authority is not a plain host. */
export function absoluteTarget(url: string): RequestTarget | null {
  const start = url.indexOf('//') + 2;
  let end = start;
  while (end < url.length && url[end] !== '/' && url[end] !== '?' && url[end] !== '#') end++;
  const host = url.slice(start, end);
  if (!HOST.test(host)) return null;
  const rest = url.slice(end);
  return { host, url: rest === '' ? '/' : rest[0] === '?' ? `/${rest}` : rest };
}

/** The edge's rules behind one reference that a reload swaps whole (the role holds this object). */
export class SwappableRules implements RequestRules {
  #current: RequestRules;
  readonly filter: HeaderFilter = { drops: (lower) => this.#current.filter?.drops(lower) ?? false };
  readonly path: PathNormalizer = (p) => this.#current.path(p);

  constructor(http: EdgeSection['http']) {
    this.#current = compileRequestRules(http);
  }

  check(req: InboundRequest, res: OutboundResponse): ErrorCode | RequestTarget | null {
    return this.#current.check(req, res);
  }

  replace(http: EdgeSection['http']): void {
    this.#current = compileRequestRules(http);
  }
}
