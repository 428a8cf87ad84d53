// HTTP/2 on the edge's public port: one node:http2 server that sockets are handed to (a TLS socket
// that negotiated ALPN h2, or a plain one that opened with the h2c preface); its requests enter the
// same request pipeline as HTTP/1.1 through the compatibility classes in h2-compat.ts.
// With extendedConnect (the edge) it also advertises SETTINGS_ENABLE_CONNECT_PROTOCOL and hands
// CONNECT streams to their own entry (WebSocket over HTTP/2, RFC 8441: h2-websocket.ts).
// Protection per connection:
// - SETTINGS: max concurrent streams, max header list size (a longer header block resets its
//   stream), initial window size;
// - CONTINUATION flood (CVE-2024-27316): nghttp2 (1.61+) stops a header block after 8 CONTINUATION
//   frames with a fatal session error, which Node answers with GOAWAY INTERNAL_ERROR; the session's
//   destroy is wrapped so that this one error says what it is: GOAWAY ENHANCE_YOUR_CALM;
// - rapid reset (CVE-2023-44487): streams the client cancels are counted per connection over a
//   window; past the limit the connection gets GOAWAY ENHANCE_YOUR_CALM and is closed;
// - idle sessions are closed after the keep-alive timeout; a drain sends GOAWAY to every session.
import http2 from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Metrics } from '../../observe/metrics.js';
import type { RequestEntry } from '../../pipeline/transport.js';
import { H2Request, H2Response } from './h2-compat.js';

const { NGHTTP2_CANCEL, NGHTTP2_ENHANCE_YOUR_CALM } = http2.constants;
/** nghttp2's fatal library error for a header block with too many CONTINUATION frames (nghttp2.h) */
const NGHTTP2_ERR_TOO_MANY_CONTINUATIONS = -905;

export interface Http2Limits {
  readonly maxConcurrentStreams: number;
  readonly maxHeaderListSize: number;
  readonly initialWindowSize: number;
  /** cancelled streams per connection within rapidResetWindowMs before GOAWAY */
  readonly rapidResetMax: number;
  readonly rapidResetWindowMs: number;
  readonly idleTimeoutMs: number;
}

export const HTTP2_DEFAULTS: Http2Limits = {
  maxConcurrentStreams: 128, maxHeaderListSize: 32 * 1024, initialWindowSize: 1024 * 1024,
  rapidResetMax: 200, rapidResetWindowMs: 10_000, idleTimeoutMs: 60_000,
};

/** the HTTP/2 connection preface a prior-knowledge h2c client opens with (RFC 9113 §3.4) */
export const H2C_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export interface EdgeHttp2 {
  /** The pipeline entries its requests and its CONNECT streams go to (set once the listener knows its port). */
  serve(entry: RequestEntry, connect?: RequestEntry): void;
  /** Serves HTTP/2 on a connected socket (TLS after ALPN h2, or plain after the preface). */
  accept(socket: Duplex): void;
  /** GOAWAY to every session: streams in flight finish, no new ones start. */
  drain(): void;
  /** a reload's keep-alive timeout, for sessions that start from now on */
  setIdleTimeout(ms: number): void;
  /** a reload's edge.http2 limits: SETTINGS and the rapid-reset bound for sessions that start from now on */
  updateLimits(next: Http2Limits): void;
  readonly sessionCount: () => number;
  /**
   * Whether new connections are offered HTTP/2: a TLS listener selects ALPN h2 and a plain one looks
   * for the h2c preface only while it is true (a reload of edge.http2.enabled / h2c sets it; open
   * sessions live on either way).
   */
  offered: boolean;
}

/** a session's cancelled streams in the current rapid-reset window */
interface ResetCount {
  windowStart: number;
  cancelled: number;
  readonly session: http2.Http2Session;
  readonly limits: Http2Limits;
  readonly log: Logger;
  readonly metrics: Metrics;
}

// one listener function for every stream (no closure per stream); a closed stream no longer knows
// its session, so the stream carries its session's count
const RESETS = Symbol('meshgate.rapidResets');
type WatchedStream = http2.ServerHttp2Stream & { [RESETS]?: ResetCount };

function watchForReset(this: http2.ServerHttp2Session, stream: WatchedStream): void {
  stream[RESETS] = (this as http2.ServerHttp2Session & { [RESETS]: ResetCount })[RESETS];
  stream.once('close', onStreamClosed);
}

function onStreamClosed(this: WatchedStream): void {
  if (this.rstCode !== NGHTTP2_CANCEL) return;
  const r = this[RESETS];
  if (r === undefined) return;
  const session = r.session;
  const now = performance.now();
  if (now - r.windowStart > r.limits.rapidResetWindowMs) { r.windowStart = now; r.cancelled = 0; }
  if (++r.cancelled <= r.limits.rapidResetMax || session.destroyed) return;
  r.metrics.edgeHttp2Goaway.labels('rapid_reset').inc();
  r.log.warn({ client_ip: session.socket?.remoteAddress, cancelled: r.cancelled, window_ms: r.limits.rapidResetWindowMs }, 'HTTP/2 rapid reset: connection closed with GOAWAY ENHANCE_YOUR_CALM');
  session.goaway(NGHTTP2_ENHANCE_YOUR_CALM);
  session.destroy();
}

/** extendedConnect: advertise RFC 8441's extended CONNECT (serve() then gets the CONNECT entry) */
export function createEdgeHttp2(limits: Http2Limits, log: Logger, metrics: Metrics, extendedConnect = false): EdgeHttp2 {
  const server = http2.createServer({
    Http2ServerRequest: H2Request, Http2ServerResponse: H2Response,
    settings: {
      maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderListSize,
      initialWindowSize: limits.initialWindowSize, enablePush: false, enableConnectProtocol: extendedConnect,
    },
    maxSessionInvalidFrames: 100, maxSessionRejectedStreams: 100,
  });
  const sessions = new Set<http2.ServerHttp2Session<typeof IncomingMessage, typeof ServerResponse, typeof H2Request, typeof H2Response>>();
  let draining = false;
  let idleTimeoutMs = limits.idleTimeoutMs;
  let current = limits;

  server.on('session', (session) => {
    const limits = current;
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    // the binding reports a fatal nghttp2 error by calling the session's destroy(err) (Node's
    // onSessionInternalError), whose GOAWAY code defaults to INTERNAL_ERROR; destroy(err, code) is public
    const destroy = session.destroy;
    session.destroy = function destroyNamingFlood(this: typeof session, err?: Error, code?: number): void {
      if (code === undefined && (err as { errno?: number } | undefined)?.errno === NGHTTP2_ERR_TOO_MANY_CONTINUATIONS) {
        metrics.edgeHttp2Goaway.labels('continuation_flood').inc();
        log.warn({ client_ip: session.socket?.remoteAddress }, 'HTTP/2 CONTINUATION flood: connection closed with GOAWAY ENHANCE_YOUR_CALM');
        code = NGHTTP2_ENHANCE_YOUR_CALM;
      }
      destroy.call(this, err, code);
    };
    session.on('error', () => { /* the socket closes; nothing else is affected */ });
    session.setTimeout(idleTimeoutMs, () => session.close());
    if (draining) session.close();
    (session as typeof session & { [RESETS]: ResetCount })[RESETS] = { windowStart: performance.now(), cancelled: 0, session, limits, log, metrics };
    session.on('stream', watchForReset);
    session.on('goaway', () => { /* the client's; the session closes by itself */ });
    session.on('frameError', () => metrics.edgeHttp2Goaway.labels('frame_error').inc());
  });
  // errors the http2 core reports on the server rather than a session (a malformed preface)
  server.on('sessionError', () => metrics.edgeHttp2Goaway.labels('protocol_error').inc());

  return {
    serve(entry, connect) {
      server.on('request', entry as never);
      if (connect !== undefined) server.on('connect', connect as never);
    },
    accept(socket) { server.emit('connection', socket); },
    drain() {
      draining = true;
      for (const s of sessions) s.close();
    },
    setIdleTimeout(ms) { idleTimeoutMs = ms; },
    updateLimits(next) {
      current = next;
      idleTimeoutMs = next.idleTimeoutMs;
      server.updateSettings({ maxConcurrentStreams: next.maxConcurrentStreams, maxHeaderListSize: next.maxHeaderListSize, initialWindowSize: next.initialWindowSize, enablePush: false, enableConnectProtocol: extendedConnect });
    },
    sessionCount: () => sessions.size,
    offered: true,
  };
}
