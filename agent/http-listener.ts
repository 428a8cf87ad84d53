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

export async function listen(
  host: string, port: number, handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  tls?: { options: https.ServerOptions; prepare: (server: https.Server) => void },
): Promise<Listener> {
  let draining = false;
  const serverOptions = { keepAliveTimeout: 65_000, requestTimeout: 300_000, headersTimeout: 60_000 };
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
