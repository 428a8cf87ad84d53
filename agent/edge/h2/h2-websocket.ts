// WebSocket over HTTP/2 (RFC 8441) at the edge. The edge's http2 server advertises
// SETTINGS_ENABLE_CONNECT_PROTOCOL and hands every CONNECT stream here (the compatibility API's
// `connect` event). `:method CONNECT` + `:protocol websocket` is the HTTP/1.1 handshake in another
// form (RFC 8441 §5), so it runs as the GET it stands for: the route phase (path from `:path`, host
// from `:authority`), the access phase (key-auth, jwt, acl, rate limiting …), then the same tunnel as
// an HTTP/1.1 Upgrade toward the upstream (edge → sidecar over mTLS → service). HTTP/2 carries no
// Sec-WebSocket-Key, so one is made here for the upstream handshake and the upstream's
// Sec-WebSocket-Accept is checked against it (502 otherwise) and not passed on. Success is
// `:status 200`; the stream then carries the WebSocket bytes both ways under HTTP/2 flow control. A
// close either way is END_STREAM; an upstream reset is RST_STREAM CONNECT_ERROR (RFC 9113 §8.5), an
// idle timeout RST_STREAM CANCEL.
//
// Any other CONNECT — without `:protocol` (a forward-proxy tunnel) or with another protocol — is
// 501 MG_UNSUPPORTED_PROTOCOL: a well-formed request for something this gateway does not implement
// (RFC 9110 §15.6.2). RFC 8441 names no status for an unknown protocol; 400 is for a malformed
// request, and those nghttp2 resets itself (RST_STREAM PROTOCOL_ERROR: `:protocol` on a plain
// request or without `:scheme`/`:path`).
import { createHash, randomBytes } from 'node:crypto';
import http2, { type ServerHttp2Stream } from 'node:http2';
import type { ErrorCode } from '../../../proto/errors.js';
import type { TunnelRoleStats } from '../../observe/tunnel-stats.js';
import { Hop, type Role } from '../../pipeline/request-pipeline.js';
import type { OutboundResponse, RequestEntry } from '../../pipeline/transport.js';
import { upgradeTunnel } from '../../pipeline/upgrade-entry.js';
import type { TunnelClient } from '../../proxy/tunnel-client.js';
import type { SpliceEnd, TunnelSide } from '../../proxy/upgrade-splice.js';
import type { H2Request, H2Response } from './h2-compat.js';

const { NGHTTP2_CANCEL, NGHTTP2_CONNECT_ERROR } = http2.constants;
/** RFC 6455 §1.3 */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY = 'sec-websocket-key';
const NO_HEAD = Buffer.alloc(0);

export function webSocketAccept(key: string): string {
  return createHash('sha1').update(key + WS_GUID).digest('base64');
}

/** The client's side of a WebSocket over an HTTP/2 stream. */
class H2WebSocketClient implements TunnelClient {
  readonly head = NO_HEAD;
  readonly acceptStatus = 200;
  readonly protocol = 'websocket';
  readonly res: OutboundResponse;
  readonly #stream: ServerHttp2Stream;
  readonly #key: string;

  constructor(res: H2Response, key: string) {
    this.res = res as unknown as OutboundResponse;
    this.#stream = res.stream;
    this.#key = key;
  }

  gone(): boolean { return this.#stream.destroyed; }

  accept(headers: string[]): TunnelSide | ErrorCode {
    let accept = -1;
    for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() === 'sec-websocket-accept') accept = i;
    if (accept < 0 || headers[accept + 1] !== webSocketAccept(this.#key)) return 'MG_UPSTREAM_RESET';
    headers.splice(accept, 2);
    this.res.writeHead(200, headers);
    return this.#stream;
  }

  reset(why: SpliceEnd): void {
    const stream = this.#stream;
    if (!stream.destroyed) stream.close(why === 'MG_UPSTREAM_RESET' ? NGHTTP2_CONNECT_ERROR : NGHTTP2_CANCEL);
  }
}

/** The entry for the http2 server's CONNECT streams (request-pipeline.ts Hop with the upgrade tunnel). */
export function createH2ConnectEntry(role: Role, stats: TunnelRoleStats): RequestEntry {
  const tunnel = upgradeTunnel(stats, (hop) => new H2WebSocketClient(hop.res as unknown as H2Response, hop.req.headers[KEY] as string));
  // refused before routing, with the error table's answer and one access-log line
  const unsupported: Role = { ...role, route: () => 'MG_UNSUPPORTED_PROTOCOL' };
  return function handleConnect(inbound, res) {
    const req = inbound as unknown as H2Request;
    const protocol = req.headers[':protocol'];
    if (typeof protocol !== 'string' || protocol.toLowerCase() !== 'websocket') { new Hop(inbound, res, unsupported).run(); return; }
    // the stream's DATA is the tunnel, not a request body: a plugin that reads bodies finds none
    req.push(null);
    (req as { method: string }).method = 'GET';
    const key = randomBytes(16).toString('base64');
    req.headers[KEY] = key;
    setH1Header(req.h1RawHeaders, KEY, key);
    new Hop(inbound, res, role, tunnel).run();
  };
}

/** Replaces every `name` field of flat headers with one (a client's own key is not the upstream's). */
function setH1Header(raw: string[], name: string, value: string): void {
  let w = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === name) continue;
    raw[w++] = raw[i]!;
    raw[w++] = raw[i + 1]!;
  }
  raw.length = w;
  raw.push(name, value);
}
