// Whose counter a request counts against, as Kong's get_identifier picks it: the thing named by
// limit_by, or the client IP when the request has no such thing.
import type { RequestContext } from '../context.js';
import type { RateLimitSettings } from './config.js';

export type IdentifierSettings = Pick<RateLimitSettings, 'limitBy' | 'headerName' | 'path'>;

/**
 * ctx.clientIp is already the trusted client address (X-Forwarded-For only counts from trusted
 * proxies), so a spoofed header cannot move a client to another counter.
 */
export function identifierFor(s: IdentifierSettings, ctx: RequestContext): string {
  switch (s.limitBy) {
    case 'consumer': return ctx.consumer?.id ?? ctx.credential?.id ?? ctx.clientIp;
    case 'credential': return ctx.credential?.id ?? ctx.clientIp;
    case 'service': return ctx.route.serviceId ?? ctx.route.service;
    // Kong takes an empty header value as is (Lua's "" is truthy); only a missing one falls back
    case 'header': return (s.headerName !== undefined ? ctx.header(s.headerName) : undefined) ?? ctx.clientIp;
    // only requests for exactly that path share its counter; others are counted by IP
    case 'path': return ctx.path === s.path ? s.path : ctx.clientIp;
    case 'ip': return ctx.clientIp;
  }
}
