// Admin listener (loopback by default): liveness, readiness, status JSON, Prometheus metrics.
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { AdminRoutes } from './admin-routes.js';

export interface AdminSources {
  readonly ready: () => boolean;
  /** a primary with workers asks them first, hence maybe a promise */
  readonly status: () => unknown;
  readonly registry: Pick<Registry, 'metrics' | 'contentType'>;
  readonly routes?: AdminRoutes;
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v) => (v === Infinity ? null : v), 2);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function createAdminServer(src: AdminSources): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const extra = src.routes?.find(req.method ?? 'GET', path);
    if (extra !== undefined) {
      Promise.resolve(extra.handler(req, res, decodeURIComponent(extra.rest))).catch((err: Error) => {
        if (!res.headersSent) json(res, 500, { message: err.message });
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { message: 'Method not allowed' });
    switch (path) {
      case '/health': return json(res, 200, { status: 'alive' });
      case '/ready': {
        const ok = src.ready();
        return json(res, ok ? 200 : 503, { ready: ok });
      }
      case '/status':
        Promise.resolve(src.status()).then((body) => json(res, 200, body), (err: Error) => json(res, 500, { message: err.message }));
        return;
      case '/metrics':
        src.registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': src.registry.contentType });
          res.end(text);
        }, (err: Error) => json(res, 500, { message: err.message }));
        return;
      default: return json(res, 404, { message: 'Not found' });
    }
  });
}
