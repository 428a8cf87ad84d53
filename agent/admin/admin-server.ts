// Admin listener (loopback by default): liveness, readiness, status JSON, Prometheus metrics, and
// the endpoints components add (admin-routes.ts).
import http from 'node:http';
import type { Registry } from 'prom-client';
import { adminPath, noAdminRoute, type AdminCall, type AdminReply } from './admin-routes.js';

export interface AdminSources {
  readonly ready: () => boolean;
  /** a primary with workers asks them first, hence maybe a promise */
  readonly status: () => unknown;
  readonly registry: Pick<Registry, 'metrics' | 'contentType'>;
  /** every other endpoint: this process's AdminRoutes, or a primary's relay to its workers */
  readonly routes?: { reply(call: AdminCall): Promise<AdminReply> };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v) => (v === Infinity ? null : v), 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendReply(res: http.ServerResponse, r: AdminReply): void {
  if (r.body !== undefined) return json(res, r.status, r.body);
  res.writeHead(r.status, { 'content-length': '0' });
  res.end();
}

const BUILT_IN = new Set(['/health', '/ready', '/status', '/metrics']);

export function createAdminServer(src: AdminSources): http.Server {
  return http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const path = adminPath(url);
    if ((method !== 'GET' && method !== 'HEAD') || !BUILT_IN.has(path)) {
      if (src.routes === undefined) return sendReply(res, noAdminRoute(method));
      src.routes.reply({ method, url }).then((r) => sendReply(res, r), (err: Error) => {
        if (!res.headersSent) json(res, 500, { message: err.message });
      });
      return;
    }
    switch (path) {
      case '/health': return json(res, 200, { status: 'alive' });
      case '/ready': {
        const ok = src.ready();
        return json(res, ok ? 200 : 503, { ready: ok });
      }
      case '/status':
        Promise.resolve(src.status()).then((body) => json(res, 200, body), (err: Error) => json(res, 500, { message: err.message }));
        return;
      default:
        src.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': src.registry.contentType });
          res.end(text);
        }, (err: Error) => json(res, 500, { message: err.message }));
    }
  });
}
