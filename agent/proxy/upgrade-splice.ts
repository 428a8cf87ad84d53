// The bytes of an upgraded connection, both ways, between the client's socket and the upstream's:
// a full side pauses the other (backpressure), an end (half-close) is passed on as an end, a close
// or an error ends the other side once what it has queued is written, and a tunnel with no bytes
// either way for idleMs is closed (nginx closes an idle WebSocket after proxy_read_timeout).
// The client's side is a socket (HTTP/1.1 Upgrade) or an HTTP/2 stream (extended CONNECT); how it
// is ended at once is the caller's (a socket is destroyed, a stream reset with a code).
import type { Duplex } from 'node:stream';
import type { TunnelCounts } from '../observe/tunnel-stats.js';

/** Why a tunnel ended, for the access log: null is a close by either side. */
export type SpliceEnd = null | 'MG_TUNNEL_IDLE' | 'MG_UPSTREAM_RESET' | 'MG_CLIENT_CLOSED';

/** the client's end of an accepted tunnel: a byte stream whose timer sees every byte either way */
export type TunnelSide = Duplex & { setTimeout(ms: number, cb?: () => void): unknown };

/** a side that closed leaves the other this long to flush what it has queued, then it is destroyed */
const FLUSH_GRACE_MS = 5000;

export class UpgradeSplice implements TunnelCounts {
  bytesIn = 0;
  bytesOut = 0;
  readonly #client: Duplex;
  readonly #upstream: Duplex;
  readonly #onEnd: (why: SpliceEnd) => void;
  readonly #resetClient: (why: SpliceEnd) => void;
  #why: SpliceEnd = null;
  #closed = 0;

  constructor(client: TunnelSide, upstream: Duplex, idleMs: number, onEnd: (why: SpliceEnd) => void, resetClient: (why: SpliceEnd) => void = () => client.destroy()) {
    this.#client = client;
    this.#upstream = upstream;
    this.#onEnd = onEnd;
    this.#resetClient = resetClient;
    // every byte either way passes the client's socket: its timer (reads and writes) is the tunnel's idleness
    if (idleMs > 0) client.setTimeout(idleMs, () => this.#stop('MG_TUNNEL_IDLE'));
    client.on('data', (c: Buffer) => { this.bytesIn += c.length; if (!upstream.write(c)) client.pause(); });
    upstream.on('data', (c: Buffer) => { this.bytesOut += c.length; if (!client.write(c)) upstream.pause(); });
    upstream.on('drain', () => client.resume());
    client.on('drain', () => upstream.resume());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => this.#stop('MG_CLIENT_CLOSED'));
    upstream.on('error', () => this.#stop('MG_UPSTREAM_RESET'));
    client.on('close', () => this.#sideClosed(upstream));
    upstream.on('close', () => this.#sideClosed(client));
  }

  /** Starts the flow: `clientHead` (bytes the client sent after its request head) goes first. */
  start(clientHead: Buffer): void {
    if (clientHead.length > 0) { this.bytesIn += clientHead.length; this.#upstream.write(clientHead); }
    this.#client.resume();
    this.#upstream.resume();
  }

  /** Ends both sides now (idle timeout, an error, the end of a drain). */
  #stop(why: SpliceEnd): void {
    this.#why ??= why;
    this.#resetClient(why);
    this.#upstream.destroy();
  }

  #sideClosed(other: Duplex): void {
    if (++this.#closed === 2) { this.#onEnd(this.#why); return; }
    if (other.destroyed) return;
    // the other side may still hold bytes for its peer (a WebSocket close frame): end it, give it
    // a bounded time to flush, then destroy it
    other.end();
    const timer = setTimeout(() => other.destroy(), FLUSH_GRACE_MS);
    timer.unref();
    other.once('close', () => clearTimeout(timer));
  }
}
