// Kong's answer when an https-only route is reached over plain HTTP: 426 with Upgrade headers, or
// a redirect (301/302/307/308) to the same host and URI over https. Like Kong, the Location has
// the host without its port (the https default port), from a trusted X-Forwarded-Host if any.
// Each status is one access phase, made once at load time; the route phase picks it.
import { errorBody } from '../../proto/errors.js';
import { MESH_ERROR } from '../../proto/headers.js';
import type { RoutePhases } from '../pipeline/request-pipeline.js';
import type { InboundRequest, OutboundResponse } from '../pipeline/transport.js';
import type { TrustedProxies } from '../proxy/trusted-proxies.js';

/** Writes the answer; returns its status for the access log. */
export function answerHttpsRequired(req: InboundRequest, res: OutboundResponse, status: number, forwardedHost: string, requestId: string): number {
  if (status === 426) {
    const body = errorBody('MG_HTTPS_REQUIRED', requestId);
    res.writeHead(426, [
      'content-type', 'application/json; charset=utf-8', 'content-length', String(Buffer.byteLength(body)),
      'connection', 'Upgrade', 'upgrade', 'TLS/1.2, HTTP/1.1', 'x-request-id', requestId, MESH_ERROR, 'MG_HTTPS_REQUIRED',
    ]);
    res.end(body);
    return 426;
  }
  res.writeHead(status, ['location', `https://${hostWithoutPort(forwardedHost)}${req.url ?? '/'}`, 'content-length', '0', 'x-request-id', requestId]);
  res.end();
  return status;
}

function hostWithoutPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

/** The phases answering an https-only route's plain-HTTP request with `status`, one set per status. */
export function httpsRequiredPhases(trusted: TrustedProxies): (status: number) => RoutePhases {
  const byStatus = new Map<number, RoutePhases>();
  for (const status of [426, 301, 302, 307, 308]) {
    const phases: RoutePhases = {
      response: null, log: null,
      access: (hop, next) => {
        const req = hop.req;
        const xfh = req.headers['x-forwarded-host'];
        const host = typeof xfh === 'string' && trusted.trusts(req.socket.remoteAddress) ? xfh : req.headers.host ?? '';
        next({ answered: answerHttpsRequired(req, hop.res, status, host, hop.requestId) });
      },
    };
    byStatus.set(status, Object.freeze(phases));
  }
  return (status) => byStatus.get(status)!;
}
