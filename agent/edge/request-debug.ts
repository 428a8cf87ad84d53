// Kong's request debugging (X-Kong-Request-Debug): a real request that carries the header and the
// configured token (agent.request_debug_token) gets the explain report of itself in the
// X-Kong-Request-Debug-Output response header, then proceeds as usual. The token is compared in
// constant time and never logged; without a configured token the headers are ignored.
import { timingSafeEqual } from 'node:crypto';
import { explainRequest } from '../admin/explain.js';
import type { InboundRequest, OutboundResponse } from '../pipeline/transport.js';
import type { RouteTable } from '../table/route-table.js';
import type { Arrival } from '../table/router.js';

export const DEBUG_HEADER = 'x-kong-request-debug';
export const DEBUG_TOKEN_HEADER = 'x-kong-request-debug-token';
export const DEBUG_OUTPUT_HEADER = 'X-Kong-Request-Debug-Output';

export class RequestDebug {
  readonly #token: Buffer;
  constructor(token: string) { this.#token = Buffer.from(token); }

  /** cheap first test (one header lookup), then the token */
  wanted(req: InboundRequest): boolean {
    if (req.headers[DEBUG_HEADER] === undefined) return false;
    const given = req.headers[DEBUG_TOKEN_HEADER];
    if (typeof given !== 'string') return false;
    const b = Buffer.from(given);
    return req.headers[DEBUG_HEADER] === '1' && b.length === this.#token.length && timingSafeEqual(b, this.#token);
  }
}

/** JSON with every non-ASCII character escaped: a header value must be printable ASCII. */
function asciiJson(v: unknown): string {
  return JSON.stringify(v).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The report for a real request, with the arrival (scheme, TLS server name) the router used. */
export async function requestDebugReport(_d: RequestDebug, table: RouteTable, req: InboundRequest, res: OutboundResponse, arrival: Arrival): Promise<void> {
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k === DEBUG_TOKEN_HEADER) continue;
    h[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  try {
    const secure = arrival.scheme === 'https' || arrival.scheme === 'grpcs';
    const url = new URL(req.url ?? '/', `${secure ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}`);
    const report = await explainRequest(table, { method: req.method ?? 'GET', url, headers: h, clientIp: req.socket.remoteAddress ?? '', arrival });
    if (!res.headersSent) res.setHeader(DEBUG_OUTPUT_HEADER, asciiJson(report));
  } catch (err) {
    if (!res.headersSent) res.setHeader(DEBUG_OUTPUT_HEADER, asciiJson({ error: (err as Error).message }));
  }
}
