// Client request headers → upstream request headers, as one flat [name, value, ...] array.
import type { InboundRequest } from '../pipeline/transport.js';
import {
  FORWARDED_CLIENT_CERT, FORWARDED_FOR, FORWARDED_HOST, FORWARDED_PORT, FORWARDED_PROTO, HOP_BY_HOP, MESH_DESTINATION, REAL_IP, REQUEST_ID,
} from '../../proto/headers.js';
import type { TrustedProxies } from './trusted-proxies.js';

/** Headers we replace rather than copy. */
const REPLACED = new Set([
  'host', FORWARDED_FOR, FORWARDED_PROTO, FORWARDED_HOST, FORWARDED_PORT, REAL_IP, REQUEST_ID, MESH_DESTINATION,
  FORWARDED_CLIENT_CERT,
]);

/** Client header names not forwarded (lower-case), decided per name. */
export interface HeaderFilter {
  drops(lower: string): boolean;
}

export interface HeaderPlan {
  /** Host header to send; null keeps the client's */
  readonly hostHeader: string | null;
  readonly requestId: string;
  readonly proto: 'http' | 'https';
  readonly localPort: number;
  readonly trusted: TrustedProxies;
  /** the mesh peer's verified SPIFFE identity, passed on to the local service */
  readonly peerUri?: string;
  /** client headers not forwarded (the edge's strict-request rules) */
  readonly filter?: HeaderFilter | null;
  /** an absolute-form request's authority, which replaces the client's Host */
  readonly authority?: string;
}

export interface UpstreamHeaders {
  readonly headers: string[];
  readonly clientIp: string;
}

/** The mesh destination header is never copied from the client; Exchange adds it per attempt. */
export function buildUpstreamHeaders(req: InboundRequest, plan: HeaderPlan): UpstreamHeaders {
  const raw = req.rawHeaders;
  let dropped: Set<string> | null = null;
  const connection = req.headers.connection;
  if (connection !== undefined) {
    for (const token of connection.split(',')) {
      const t = token.trim().toLowerCase();
      if (t !== '' && !HOP_BY_HOP.has(t)) (dropped ??= new Set()).add(t);
    }
  }
  const out: string[] = [];
  let xff: string | undefined;
  let xfProto: string | undefined;
  let xfHost: string | undefined;
  let xfPort: string | undefined;
  let host = '';
  const filter = plan.filter ?? null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (dropped !== null && dropped.has(lower)) || (filter !== null && filter.drops(lower))) continue;
    if (REPLACED.has(lower)) {
      const v = raw[i + 1]!;
      if (lower === 'host') host = v;
      else if (lower === FORWARDED_FOR) xff = xff === undefined ? v : `${xff}, ${v}`;
      else if (lower === FORWARDED_PROTO) xfProto ??= v;
      else if (lower === FORWARDED_HOST) xfHost ??= v;
      else if (lower === FORWARDED_PORT) xfPort ??= v;
      continue;
    }
    out.push(name, raw[i + 1]!);
  }
  if (plan.authority !== undefined) host = plan.authority;
  const peer = req.socket.remoteAddress ?? '';
  const trusted = (xff !== undefined || xfProto !== undefined || xfHost !== undefined) && plan.trusted.trusts(peer);
  const clientIp = trusted ? plan.trusted.clientIp(peer, xff) : peer;
  out.push(
    'host', plan.hostHeader ?? host,
    FORWARDED_FOR, trusted && xff !== undefined ? `${xff}, ${peer}` : peer,
    FORWARDED_PROTO, trusted && xfProto !== undefined ? xfProto : plan.proto,
    FORWARDED_HOST, trusted && xfHost !== undefined ? xfHost : host,
    FORWARDED_PORT, trusted && xfPort !== undefined ? xfPort : portText(plan.localPort),
    REAL_IP, clientIp,
    REQUEST_ID, plan.requestId,
  );
  if (plan.peerUri !== undefined) out.push(FORWARDED_CLIENT_CERT, `URI=${plan.peerUri}`);
  return { headers: out, clientIp };
}

const HOP_LENGTHS: ReadonlySet<number> = new Set([...HOP_BY_HOP].map((n) => n.length));

/**
 * Upstream response raw headers → flat array for writeHead, without hop-by-hop fields (and the
 * fields the Connection header names). One pass; only names of a hop-by-hop length are lower-cased.
 */
export function responseHeaders(raw: readonly Buffer[]): string[] {
  const out: string[] = [];
  let connection: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    if (HOP_LENGTHS.has(name.length)) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') {
          const v = raw[i + 1]!.toString('latin1');
          connection = connection === null ? v : `${connection},${v}`;
        }
        continue;
      }
    }
    out.push(name, raw[i + 1]!.toString('latin1'));
  }
  return connection === null ? out : withoutConnectionTokens(out, connection);
}

/** Drops the fields a Connection header names (those not already hop-by-hop). */
function withoutConnectionTokens(flat: string[], connection: string): string[] {
  const usual = connection.length === 10 || connection.length === 5 ? connection.toLowerCase() : '';
  if (usual === 'keep-alive' || usual === 'close') return flat; // the usual ones name no other field
  let named: Set<string> | null = null;
  for (const t of connection.split(',')) {
    const token = t.trim().toLowerCase();
    if (token !== '' && !HOP_BY_HOP.has(token)) (named ??= new Set()).add(token);
  }
  if (named === null) return flat;
  const out: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (!named.has(flat[i]!.toLowerCase())) out.push(flat[i]!, flat[i + 1]!);
  return out;
}

const PORT_TEXT = new Map<number, string>();
/** the listener's port as text, made once per port */
function portText(port: number): string {
  let t = PORT_TEXT.get(port);
  if (t === undefined) { t = String(port); PORT_TEXT.set(port, t); }
  return t;
}
