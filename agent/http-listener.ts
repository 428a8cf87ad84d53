// A public HTTP listener with drain support: once draining, every answer closes its
// connection, and close() waits for in-flight requests up to a deadline.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface Listener {
  readonly server: http.Server | https.Server;
  readonly port: number;
  readonly draining: () => boolean;
  drain(timeoutMs: number): Promise<boolean>;
}

export interface ListenerLimitsMs {
  readonly headerTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxHeaderSize?: number;
}

export const DEFAULT_LIMITS: ListenerLimitsMs = {
  headerTimeoutMs: 10_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 60_000, maxConnections: 10_000,
};

export async function listen(
  host: string, port: number, handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  tls?: { options: https.ServerOptions; prepare: (server: https.Server) => void },
  limits: ListenerLimitsMs = DEFAULT_LIMITS,
): Promise<Listener> {
  let draining = false;
  // a slow client (one header byte every few seconds) is cut off after headerTimeoutMs: Node checks
  // the timers every connectionsCheckingInterval, so that interval must be short too
  const serverOptions: http.ServerOptions = {
    keepAliveTimeout: limits.keepAliveTimeoutMs, requestTimeout: limits.requestTimeoutMs, headersTimeout: limits.headerTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headerTimeoutMs), ...(limits.maxHeaderSize ? { maxHeaderSize: limits.maxHeaderSize } : {}),
  };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (draining) res.setHeader('connection', 'close');
    handler(req, res);
  };
  let server: http.Server | https.Server;
  if (tls) {
    const s = https.createServer({ ...serverOptions, ...tls.options }, onRequest);
    tls.prepare(s);
    server = s;
  } else {
    server = http.createServer(serverOptions, onRequest);
  }
  server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    draining: () => draining,
    async drain(timeoutMs) {
      draining = true;
      // first a grace period in which every answer closes its connection, so busy keep-alive
      // connections end cleanly after their current request instead of being cut between two
      const grace = Math.min(1000, timeoutMs / 4);
      await new Promise((r) => setTimeout(r, grace));
      return new Promise((resolve) => {
        const deadline = setTimeout(() => { server.closeAllConnections(); resolve(false); }, Math.max(0, timeoutMs - grace));
        server.close(() => { clearTimeout(deadline); resolve(true); });
        server.closeIdleConnections();
      });
    },
  };
}
