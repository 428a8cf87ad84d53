// A public HTTP listener with drain support: once draining, every answer closes its
// connection, and close() waits for in-flight requests up to a deadline.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listener {
  readonly server: http.Server;
  readonly port: number;
  readonly draining: () => boolean;
  drain(timeoutMs: number): Promise<boolean>;
}

export async function listen(
  host: string, port: number, handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<Listener> {
  let draining = false;
  const server = http.createServer({ keepAliveTimeout: 65_000, requestTimeout: 300_000, headersTimeout: 60_000 }, (req, res) => {
    if (draining) res.setHeader('connection', 'close');
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    draining: () => draining,
    drain(timeoutMs) {
      draining = true;
      return new Promise((resolve) => {
        const deadline = setTimeout(() => { server.closeAllConnections(); resolve(false); }, timeoutMs);
        server.close(() => { clearTimeout(deadline); resolve(true); });
        server.closeIdleConnections();
      });
    },
  };
}
