// A public HTTP listener with drain support. Draining, in order: a short grace with nothing
// changed (readiness already says no, so clients move on while their connections still work); the
// listener stops accepting; every answer then closes its connection (`Connection: close`, also on
// answers already in progress; HTTP/2 gets GOAWAY), connections between requests are closed once
// idle 250 ms, ones that have not sent a request yet once idle a while; a deadline ends the rest.
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo, type Socket } from 'node:net';
import { errorBody } from '../proto/errors.js';
import { mirrorListener } from './listen-mirrors.js';
import { H2C_PREFACE, type EdgeHttp2 } from './edge/h2/h2-server.js';
import { PresetHeaderResponse } from './pipeline/preset-header.js';

export interface Listener {
  readonly server: http.Server | https.Server;
  readonly port: number;
  readonly draining: () => boolean;
  drain(timeoutMs: number): Promise<boolean>;
  /** a reload's limits, for the connections and requests that come from now on */
  setLimits(next: ListenerLimitsMs): void;
}

export interface ListenerLimitsMs {
  readonly headerTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** no client body bytes this long → 408 (enforced by the pipeline's body watchdog, not here) */
  readonly bodyTimeoutMs?: number;
  readonly maxConnections: number;
  readonly maxHeaderSize?: number;
  /** listening handles on the one socket: up to this many connections accepted per loop turn */
  readonly acceptsPerTurn?: number;
}

export const DEFAULT_LIMITS: ListenerLimitsMs = {
  headerTimeoutMs: 10_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 60_000, bodyTimeoutMs: 60_000, maxConnections: 10_000, acceptsPerTurn: 16,
};

/** a connection idle this long during a drain is closed: its client is not about to use it */
const DRAIN_IDLE_CLOSE_MS = 1000;
/**
 * A connection between requests when the drain begins is closed once it has stayed idle this long:
 * a client in a request loop sends its next request within it (and that answer closes the
 * connection), so the close never races a request already on its way (ECONNRESET on a reused
 * connection, which a client cannot safely retry for a POST).
 */
const DRAIN_BETWEEN_REQUESTS_MS = 250;

interface ConnState { busy: number; lastActive: number; idleCloseMs?: number }

type RequestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
type UpgradeHandler = (req: http.IncomingMessage, socket: Socket, head: Buffer) => void;
/**
 * a listener's entries: requests, and HTTP/1.1 Upgrade requests (tunnels) when the role proxies them;
 * h2Connect: HTTP/2 CONNECT streams (WebSocket over HTTP/2), when its EdgeHttp2 advertises extended CONNECT
 */
export interface ListenerEntries { readonly request: RequestHandler; readonly upgrade: UpgradeHandler; readonly h2Connect?: RequestHandler }

/**
 * Listens on host:port; `handlerFor` gets the bound port (0 asks the OS for one) and returns the
 * request handler, made before the first connection can be accepted.
 */
export async function listen(
  host: string, port: number, handlerFor: (localPort: number) => RequestHandler | ListenerEntries,
  tls?: { options: https.ServerOptions; prepare: (server: https.Server) => void },
  limits: ListenerLimitsMs = DEFAULT_LIMITS,
  /** more node:http server options (the edge answers a missing Host itself, in JSON) */
  extra: Pick<http.ServerOptions, 'requireHostHeader'> = {},
  /** HTTP/2 beside HTTP/1.1: after ALPN h2 on TLS, after the h2c preface on plain */
  h2?: EdgeHttp2,
): Promise<Listener> {
  let draining = false;
  /** set once the listener is closed: from then on every answer closes its connection */
  let closing = false;
  const conns = new Map<Socket, ConnState>();
  // a slow client (one header byte every few seconds) is cut off after headerTimeoutMs: Node checks
  // the timers every connectionsCheckingInterval, so that interval must be short too
  const serverOptions: http.ServerOptions = {
    ...nodeLimits(limits), connectionsCheckingInterval: Math.min(1000, limits.headerTimeoutMs), ...extra,
    // answers that take a header given early (the trace id) without node:http's slow head path
    ServerResponse: PresetHeaderResponse,
  };
  let handler: RequestHandler = () => { throw new Error('request before the listener was ready'); };
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (closing) {
      res.setHeader('connection', 'close');
      // connection bookkeeping costs a little; it is only needed once a drain has begun
      const c = conns.get(req.socket);
      if (c !== undefined) {
        c.busy++;
        res.once('close', () => { c.busy--; c.lastActive = Date.now(); });
      }
    }
    handler(req, res);
  };
  let server: http.Server | https.Server;
  /** sockets served by HTTP/2: their sessions close themselves on a drain (GOAWAY, then the streams finish) */
  const h2Sockets = new WeakSet<Socket>();
  if (tls) {
    const s = https.createServer({ ...serverOptions, ...tls.options }, onRequest);
    // before prepare: a connection check it prepends (the mesh's SPIFFE guard) then runs first
    if (h2) handOffHttp2(s, true, h2, h2Sockets, () => limits.headerTimeoutMs);
    tls.prepare(s);
    server = s;
  } else {
    server = http.createServer(serverOptions, onRequest);
    if (h2) handOffHttp2(server, false, h2, h2Sockets, () => limits.headerTimeoutMs);
  }
  /** upgraded connections (tunnels): never idle-closed by a drain, ended at its deadline */
  const tunnels = new WeakSet<Socket>();
  server.maxConnections = limits.maxConnections;
  // one entry per connection (not per request): what a drain needs to close idle ones safely
  server.on(tls ? 'secureConnection' : 'connection', (sock: Socket) => {
    conns.set(sock, { busy: 0, lastActive: Date.now() });
    sock.once('close', () => conns.delete(sock));
  });
  // maxConnections across the listening handles (Node counts each handle's own connections). At the
  // limit an idle keep-alive connection (oldest first) makes room; with none, the newcomer is refused
  let open = 0;
  server.on('connection', (sock: Socket) => {
    if (open >= limits.maxConnections && !closeOneIdle(conns.keys(), h2Sockets, tunnels)) { refuseConnection(sock, tls !== undefined); return; }
    open++;
    sock.once('close', () => { open--; });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      // synchronously in the listening callback: no connection has been accepted yet
      const entries = handlerFor((server.address() as AddressInfo).port);
      let h2Connect: RequestHandler | undefined;
      if (typeof entries === 'function') {
        handler = entries;
      } else {
        handler = entries.request;
        h2Connect = entries.h2Connect;
        const upgrade = entries.upgrade;
        server.on('upgrade', (req: http.IncomingMessage, sock: Socket, head: Buffer) => { tunnels.add(sock); upgrade(req, sock, head); });
      }
      h2?.serve(handler as never, h2Connect as never);
      resolve();
    });
  });
  const toServer = (sock: Socket) => { server.emit('connection', sock); };
  const mirrors = await mirrorListener(server, mirrorCount(limits), toServer);
  return {
    server,
    port: (server.address() as AddressInfo).port,
    draining: () => draining,
    setLimits(next) {
      limits = next;
      Object.assign(server, nodeLimits(next));
      server.maxConnections = next.maxConnections;
      h2?.setIdleTimeout(next.keepAliveTimeoutMs);
      // more accept handles come from the helper process (a moment later); fewer: the extra ones close
      const want = mirrorCount(next);
      for (const m of mirrors.splice(want)) m.close();
      if (want > mirrors.length && !draining) {
        void mirrorListener(server, want - mirrors.length, toServer).then((more) => {
          for (const m of more) { if (draining || mirrors.length >= mirrorCount(limits)) m.close(); else mirrors.push(m); }
        });
      }
    },
    async drain(timeoutMs) {
      draining = true;
      const started = Date.now();
      // 1. a short grace (readiness already says no): connections work as usual, so callers keep
      //    reusing them instead of opening new ones that closing the listener would reset
      const grace = Math.min(500, timeoutMs / 4);
      await new Promise((r) => setTimeout(r, grace));
      // 2. stop accepting, leaving idle keep-alive connections to the sweep below (Node's own
      //    close() would cut them at once, racing a client about to send on one)
      net.Server.prototype.close.call(server);
      for (const m of mirrors) m.close();
      // 3. every answer now closes its connection; connections idle for a while are closed
      closing = true;
      h2?.drain();
      const closedAt = Date.now();
      for (const [s, c] of conns) {
        c.lastActive = closedAt;
        if (h2Sockets.has(s) || tunnels.has(s)) continue;
        const res = (s as unknown as { _httpMessage?: http.ServerResponse | null })._httpMessage;
        // an answer still to come closes its connection (its head says so); a connection between
        // requests is closed as soon as it has stayed idle a moment; one that has not sent its
        // first request yet gets the idle sweep
        if (res != null && !res.writableFinished) { if (!res.headersSent) res.shouldKeepAlive = false; } else if (s.bytesWritten > 0) c.idleCloseMs = DRAIN_BETWEEN_REQUESTS_MS;
      }
      return new Promise<boolean>((resolve) => {
        const sweep = setInterval(() => {
          const now = Date.now();
          for (const [s, c] of conns) {
            if (!h2Sockets.has(s) && !tunnels.has(s) && !socketBusy(s) && c.busy <= 0 && now - c.lastActive >= (c.idleCloseMs ?? DRAIN_IDLE_CLOSE_MS)) s.destroy();
          }
          if (conns.size === 0) { clearInterval(sweep); resolve(true); return; }
          if (now - started >= timeoutMs) { clearInterval(sweep); for (const s of conns.keys()) s.destroy(); resolve(false); }
        }, 100);
      });
    },
  };
}

/**
 * Puts a dispatcher in place of the server's own HTTP/1.1 connection listener (the first one,
 * added by its constructor): TLS sockets that negotiated ALPN h2, and plain sockets whose first
 * bytes are the h2c preface, go to HTTP/2; every other socket to HTTP/1.1 as before.
 */
function handOffHttp2(server: http.Server | https.Server, secure: boolean, h2: EdgeHttp2, h2Sockets: WeakSet<Socket>, firstBytesTimeoutMs: () => number): void {
  const event = secure ? 'secureConnection' : 'connection';
  const http1 = server.listeners(event)[0] as (s: Socket) => void;
  server.removeListener(event, http1);
  const toHttp2 = (sock: Socket) => { if (sock.destroyed) return; h2Sockets.add(sock); h2.accept(sock); };
  if (secure) {
    server.prependListener(event, (sock: Socket) => { if ((sock as import('node:tls').TLSSocket).alpnProtocol === 'h2') toHttp2(sock); else http1.call(server, sock); });
    return;
  }
  // prior-knowledge h2c: the first bytes decide; a client that sends nothing is cut off as HTTP/1.1's header timeout would
  server.on(event, (sock: Socket) => {
    if (!h2.offered) { http1.call(server, sock); return; }
    const timer = setTimeout(() => sock.destroy(), firstBytesTimeoutMs());
    sock.once('close', () => clearTimeout(timer));
    sock.once('readable', () => {
      clearTimeout(timer);
      const chunk = sock.read() as Buffer | null;
      if (chunk === null) { sock.destroy(); return; }
      sock.unshift(chunk);
      const n = Math.min(chunk.length, H2C_PREFACE.length);
      if (chunk.subarray(0, n).equals(H2C_PREFACE.subarray(0, n))) toHttp2(sock); else http1.call(server, sock);
    });
  });
}

/**
 * The limits node:http applies itself, read for each new connection and response (also after a
 * reload). request_timeout is answered in JSON by the pipeline's body watchdog (counted from the end
 * of the head); Node's own check, which counts from the first byte and answers in plain text, is the
 * backstop. No max_header_size leaves Node's default (16 KiB).
 */
function nodeLimits(l: ListenerLimitsMs): Pick<http.ServerOptions, 'keepAliveTimeout' | 'requestTimeout' | 'headersTimeout' | 'maxHeaderSize'> {
  return {
    keepAliveTimeout: l.keepAliveTimeoutMs, requestTimeout: l.requestTimeoutMs > 0 ? l.requestTimeoutMs + l.headerTimeoutMs + 2000 : 0,
    headersTimeout: l.headerTimeoutMs, maxHeaderSize: l.maxHeaderSize,
  };
}

/** listening handles besides the server's own */
function mirrorCount(l: ListenerLimitsMs): number {
  return (l.acceptsPerTurn ?? DEFAULT_LIMITS.acceptsPerTurn!) - 1;
}

/**
 * Closes the oldest connection that is between requests (it has answered at least once and has no
 * answer in progress): such a client loses nothing it asked for. A connection that has not sent
 * its first request yet is left alone (its request would be lost). Scans only at the limit.
 */
function closeOneIdle(sockets: Iterable<Socket>, h2Sockets: WeakSet<Socket>, tunnels: WeakSet<Socket>): boolean {
  for (const s of sockets) {
    if (s.destroyed || h2Sockets.has(s) || tunnels.has(s) || s.bytesWritten === 0 || socketBusy(s)) continue;
    s.destroy();
    return true;
  }
  return false;
}

const TOO_MANY = errorBody('MG_TOO_MANY_CONNECTIONS', '');
const TOO_MANY_ANSWER = `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n`
  + `content-length: ${Buffer.byteLength(TOO_MANY)}\r\nx-meshgate-error: MG_TOO_MANY_CONNECTIONS\r\nconnection: close\r\n\r\n${TOO_MANY}`;

/** A clear refusal on plain HTTP: a 503 in JSON, then the close; a TLS socket (no handshake yet) is just closed. */
function refuseConnection(sock: Socket, secure: boolean): void {
  if (secure) { sock.destroy(); return; }
  // the HTTP parser (or the h2c sniffer) is already attached: detach it so no request on this
  // socket reaches a handler, and drop what the client sends until the close
  sock.removeAllListeners('data');
  sock.removeAllListeners('readable');
  sock.on('error', () => sock.destroy());
  sock.resume();
  sock.end(TOO_MANY_ANSWER);
  setTimeout(() => sock.destroy(), 1000).unref();
}

/** A socket with an answer in progress (Node attaches the current ServerResponse to it). */
function socketBusy(s: Socket): boolean {
  const res = (s as unknown as { _httpMessage?: { finished?: boolean } })._httpMessage;
  return res !== undefined && res !== null && !res.finished;
}
