// The client's side of a tunnel, apart from how the tunnel reaches its upstream (upgrade-tunnel.ts):
// how a refusal or a declined upgrade is answered, how the success is answered, and which stream
// then carries the bytes. HTTP/1.1 Upgrade: a 101 on the connection's socket (upgrade-response.ts);
// HTTP/2 extended CONNECT (RFC 8441): `:status 200` on the request's stream (edge/h2/h2-websocket.ts).
import type { ErrorCode } from '../../proto/errors.js';
import type { OutboundResponse } from '../pipeline/transport.js';
import type { SpliceEnd, TunnelSide } from './upgrade-splice.js';

export interface TunnelClient {
  /** where a refusal, a plugin's answer or a declined upgrade (the upstream's non-101) is written */
  readonly res: OutboundResponse;
  /** bytes the client sent after its request head, the first of the tunnel (HTTP/2: none) */
  readonly head: Buffer;
  /** the status the client is answered on success: 101, or 200 over HTTP/2 (RFC 8441 §5) */
  readonly acceptStatus: number;
  /** the protocol the client asked for (its Upgrade header, or `:protocol`) */
  readonly protocol: string;
  /** the client went away */
  gone(): boolean;
  /**
   * The upstream switched protocols: answers the client with `headers` (the upstream's end-to-end
   * headers, after the response hooks) and returns the stream that carries the bytes, or the error
   * to answer instead when the upstream's 101 does not fit the client's request.
   */
  accept(headers: string[], upstreamRaw: readonly Buffer[]): TunnelSide | ErrorCode;
  /** Ends the client's side at once (idle, an error on either side). */
  reset(why: SpliceEnd): void;
}
