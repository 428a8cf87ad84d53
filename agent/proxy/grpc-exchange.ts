// One gRPC call relayed over HTTP/2 to a pool member (the HTTP/1.1 path, Exchange with undici, is
// untouched): the request body is piped into the upstream stream and the answer's DATA frames into
// the client's, each with backpressure; the upstream's trailers (grpc-status, grpc-message, custom)
// end the client's stream; a trailers-only answer stays trailers-only. grpc-timeout is a deadline:
// when it passes the upstream stream is reset (RST_STREAM CANCEL) and the client gets
// DEADLINE_EXCEEDED. A client that cancels resets the upstream stream. meshgate's own answers
// (no member, connect failure) go out through the response, which turns them into trailers-only
// gRPC statuses (proxy/grpc-local-answer.ts). Only a failure to connect is retried: the body is
// not read before the stream exists. The client is a GrpcDownstream (grpc-downstream.ts): a gRPC
// client over HTTP/2, or a gRPC-Web one (the grpc-web plugin), whose text-mode body is decoded here.
import http2 from 'node:http2';
import type { Readable } from 'node:stream';
import { ERRORS, type ErrorCode } from '../../proto/errors.js';
import { GRPC_STATUS_OF } from '../../proto/grpc-status.js';
import { MESH_DESTINATION } from '../../proto/headers.js';
import { recordLatency } from '../balance/latency.js';
import type { HopTrace } from '../observe/trace/tracer.js';
import type { Observation } from '../pool/endpoint-state.js';
import { observeMember, pickMember, type PoolMember } from '../pool/service-pool.js';
import type { InboundRequest, OutboundResponse } from '../pipeline/transport.js';
import type { ExchangeOutcome, ForwardPlan, ResponseHooks } from './forward-plan.js';
import { H2Downstream, type GrpcDownstream } from './grpc-downstream.js';
import { GrpcWebDownstream } from './grpc-web-downstream.js';
import { Base64DecodeStream, decodeBase64Run, type GrpcWebMode } from './grpc-web-wire.js';
import { appendHeader as append, encodeGrpcMessage, grpcStatusIn, parseGrpcTimeoutMs, withoutPseudoHeaders as relayable } from './grpc-wire.js';
import type { H2Upstream } from './h2-upstream-sessions.js';
import { mayRetry } from './retry-policy.js';
import { classifyUpstreamError } from './upstream-errors.js';

const { NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR, NGHTTP2_FLAG_END_STREAM } = http2.constants;

/** request headers HTTP/2 forbids, or that this hop sets itself */
const NOT_FORWARDED: ReadonlySet<string> = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'content-length']);
/** response headers not relayed to an HTTP/2 client */
const NOT_RELAYED: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

export interface GrpcExchangeInit {
  readonly req: InboundRequest;
  readonly res: OutboundResponse;
  readonly plan: ForwardPlan & { readonly h2: H2Upstream };
  readonly path: string;
  /** flat upstream headers (host becomes :authority) */
  readonly headers: string[];
  readonly requestId: string;
  readonly hash: number;
  readonly body: Buffer | null;
  readonly hooks: ResponseHooks | null;
  readonly trace: HopTrace | null;
  readonly done: (outcome: ExchangeOutcome) => void;
  /** a gRPC-Web call (the grpc-web plugin's mark); absent: a gRPC call over HTTP/2 */
  readonly web?: GrpcWebMode | null;
}

export class GrpcExchange {
  readonly #i: GrpcExchangeInit;
  readonly #client: GrpcDownstream;
  /** the body sent upstream: the client's, or its base64 decoding (gRPC-Web text mode) */
  readonly #source: Readable;
  readonly #body: Buffer | null;
  #member: PoolMember | undefined;
  #tried: Set<PoolMember> | null = null;
  #up: http2.ClientHttp2Stream | null = null;
  #attempts = 0;
  #holding = false;
  #dispatchedAt = 0;
  #upstreamMs = -1;
  #status = 0;
  #grpcStatus: number | undefined;
  #bytes = 0;
  #trailers: http2.OutgoingHttpHeaders | null = null;
  #error: ErrorCode | undefined;
  #deadline: NodeJS.Timeout | null = null;
  #finished = false;

  constructor(init: GrpcExchangeInit) {
    this.#i = init;
    const web = init.web ?? null;
    this.#client = web === null ? new H2Downstream(init.res) : new GrpcWebDownstream(init.res, web);
    this.#source = web?.text === true && init.body === null ? init.req.pipe(new Base64DecodeStream()) : init.req;
    this.#body = web?.text === true && init.body !== null ? decodeBase64Run(init.body.toString('latin1')).bytes : init.body;
    init.res.on('close', this.#onClientClose);
    init.plan.pool.budget.deposit(Date.now());
    const deadlineMs = parseGrpcTimeoutMs(init.req.headers['grpc-timeout'] as string | undefined);
    if (deadlineMs !== undefined) this.#deadline = setTimeout(() => this.#timeout('deadline'), deadlineMs);
  }

  /** One attempt: pick a member not tried yet, and open a stream once its session is connected. */
  start(): void {
    const plan = this.#i.plan;
    const member = pickMember(plan.pool, this.#tried, Date.now(), this.#i.hash);
    if (member === undefined) return this.#fail(this.#error ?? (plan.pool.members.length === 0 ? 'MG_UPSTREAM_UNAVAILABLE' : 'MG_NO_PEER'));
    this.#member = member;
    this.#attempts++;
    member.state.inflight++;
    this.#holding = true;
    this.#dispatchedAt = performance.now();
    let session: http2.ClientHttp2Session;
    try { session = plan.h2.session(member); } catch (err) { return this.#connectFailed(err); }
    if (!session.connecting) return this.#open(session);
    const timer = setTimeout(() => session.destroy(Object.assign(new Error('HTTP/2 connect timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), plan.h2.connectTimeoutMs);
    let failure: unknown;
    const onError = (err: unknown): void => { failure = err; };
    const onClose = (): void => { clearTimeout(timer); session.off('connect', onConnect); session.off('error', onError); this.#connectFailed(failure); };
    const onConnect = (): void => { clearTimeout(timer); session.off('close', onClose); session.off('error', onError); this.#open(session); };
    session.once('connect', onConnect);
    session.once('close', onClose);
    session.on('error', onError);
  }

  #open(session: http2.ClientHttp2Session): void {
    if (this.#finished) return this.#release();
    const i = this.#i;
    const member = this.#member!;
    const headers: http2.OutgoingHttpHeaders = { ':method': i.req.method ?? 'POST', ':path': i.path, ':scheme': i.plan.h2.scheme };
    const flat = i.headers;
    for (let k = 0; k < flat.length; k += 2) {
      const name = flat[k]!.toLowerCase();
      if (name === 'host') { headers[':authority'] = flat[k + 1]!; continue; }
      if (NOT_FORWARDED.has(name)) continue;
      append(headers, name, flat[k + 1]!);
    }
    headers.te = 'trailers';
    if (i.plan.meshHop === true) headers[MESH_DESTINATION] = member.instanceId;
    if (i.trace !== null) headers.traceparent = i.trace.attemptStart(this.#attempts, member.key, String(headers[':method']));
    let up: http2.ClientHttp2Stream;
    try { up = session.request(headers); } catch (err) { return this.#connectFailed(err); }
    this.#up = up;
    up.setTimeout(i.plan.readTimeoutMs, () => this.#timeout('read'));
    up.on('response', this.#onResponse);
    up.on('data', this.#onData);
    up.on('trailers', (t: http2.IncomingHttpHeaders) => { this.#trailers = relayable(t); });
    up.on('end', this.#onEnd);
    up.on('error', () => { /* 'close' follows with the reset code */ });
    up.on('close', this.#onUpstreamClose);
    if (this.#body !== null) up.end(this.#body);
    else this.#source.pipe(up);
  }

  readonly #onResponse = (headers: http2.IncomingHttpHeaders, flags: number): void => {
    this.#upstreamMs = performance.now() - this.#dispatchedAt;
    const status = Number(headers[':status']);
    this.#status = status;
    this.#i.trace?.attemptEnd(status);
    const pool = this.#i.plan.pool;
    if (pool.measuresLatency) recordLatency(this.#member!.state, this.#upstreamMs, Date.now());
    this.#observe((pool.health.kind === 'outlier' ? pool.health.unhealthyStatuses.has(status) : status >= 500) ? 'http_failure' : 'success');
    const out = this.#clientHead(headers, status);
    if (this.#client.gone || this.#client.headersSent) return;
    if ((flags & NGHTTP2_FLAG_END_STREAM) !== 0) {
      this.#grpcStatus = grpcStatusIn(headers);
      this.#client.respond(status, out, true);
      this.#finish();
      return;
    }
    this.#client.respond(status, out, false);
  };

  readonly #onData = (chunk: Buffer): void => {
    this.#bytes += chunk.length;
    if (this.#client.write(chunk)) return;
    const up = this.#up!;
    up.pause();
    this.#client.onceDrain(() => up.resume());
  };

  readonly #onEnd = (): void => {
    if (this.#finished || !this.#client.headersSent) return;
    if (this.#client.ended) this.#finish(); // trailers-only: nothing more to send
    else this.#endWithTrailers();
  };

  /** ends the client's answer with #trailers; the call is finished once they are out */
  #endWithTrailers(): void {
    const t = this.#trailers ?? {};
    this.#grpcStatus ??= grpcStatusIn(t);
    this.#client.end(t, this.#trailersSent);
  }

  readonly #trailersSent = (): void => { this.#finish(); };

  /** The upstream stream closed: a clean end was handled in #onEnd; anything else is a failure. */
  readonly #onUpstreamClose = (): void => {
    this.#release();
    if (this.#finished || this.#trailers !== null || this.#client.ended) return;
    const up = this.#up!;
    const code = up.rstCode === undefined || up.rstCode === NGHTTP2_NO_ERROR ? NGHTTP2_INTERNAL_ERROR : up.rstCode;
    this.#error = 'MG_UPSTREAM_RESET';
    if (this.#status === 0) this.#i.trace?.attemptEnd(0, 'MG_UPSTREAM_RESET');
    if (!this.#client.headersSent) {
      this.#observe('tcp_failure');
      return this.#fail('MG_UPSTREAM_RESET');
    }
    // the answer is under way: the client learns the call failed (HTTP/2: its stream reset with the same code)
    this.#client.abort(code);
    this.#finish();
  };

  /** the deadline (grpc-timeout) or the read timeout passed: reset upstream, DEADLINE_EXCEEDED to the client */
  #timeout(kind: 'deadline' | 'read'): void {
    if (this.#finished) return;
    if (kind === 'read') this.#observe('timeout');
    if (this.#status === 0 && this.#up !== null) this.#i.trace?.attemptEnd(0, 'MG_UPSTREAM_TIMEOUT');
    this.#detachUpstream();
    if (!this.#client.headersSent) return this.#fail('MG_UPSTREAM_TIMEOUT');
    this.#error = 'MG_UPSTREAM_TIMEOUT';
    this.#trailers = { 'grpc-status': String(GRPC_STATUS_OF.MG_UPSTREAM_TIMEOUT), 'grpc-message': encodeGrpcMessage(ERRORS.MG_UPSTREAM_TIMEOUT.message) };
    this.#grpcStatus = GRPC_STATUS_OF.MG_UPSTREAM_TIMEOUT;
    if (!this.#client.ended) this.#endWithTrailers();
  }

  #connectFailed(err: unknown): void {
    this.#release();
    if (this.#finished) return;
    const code = classifyUpstreamError(err);
    this.#i.trace?.attemptEnd(0, code);
    this.#observe(code === 'MG_CONNECT_TIMEOUT' ? 'timeout' : 'tcp_failure');
    const plan = this.#i.plan;
    const retry = mayRetry(code, {
      attempts: this.#attempts, retries: plan.retries, clientGone: this.#client.gone, method: this.#i.req.method ?? '',
      hasBody: true, bodyReplayable: this.#body !== null, bodyStarted: false, perTryTimeoutMs: 0, readTimeoutMs: plan.readTimeoutMs,
    });
    this.#error = code;
    if (retry && plan.pool.budget.tryWithdraw(Date.now())) {
      (this.#tried ??= new Set()).add(this.#member!);
      plan.onRetry?.(code);
      return this.start();
    }
    this.#fail(code);
  }

  readonly #onClientClose = (): void => {
    if (this.#finished) return;
    this.#error ??= 'MG_CLIENT_CLOSED';
    if (this.#status === 0) this.#status = 499;
    this.#detachUpstream();
    this.#finish();
  };

  /** stops relaying from upstream and resets its stream (RST_STREAM CANCEL) */
  #detachUpstream(): void {
    const up = this.#up;
    if (up === null) return;
    up.removeListener('close', this.#onUpstreamClose);
    up.removeAllListeners('data');
    up.removeListener('end', this.#onEnd);
    this.#source.unpipe(up);
    if (!up.destroyed) up.close(NGHTTP2_CANCEL);
    this.#release();
  }

  /** the answer's head, flat: headers set before it, the upstream's, then the route's header edits */
  #clientHead(headers: http2.IncomingHttpHeaders, status: number): string[] {
    const flat = this.#client.preset();
    for (const [k, v] of Object.entries(headers)) {
      if (k.charCodeAt(0) === 58 /* ':' */ || NOT_RELAYED.has(k) || v === undefined) continue;
      if (Array.isArray(v)) for (const one of v) flat.push(k, one);
      else flat.push(k, v);
    }
    // header edits apply; a hook that wants the whole body does not get it: a gRPC stream is never held back
    this.#i.hooks?.headers(status, flat);
    return flat;
  }

  #observe(obs: Observation): void {
    const m = this.#member;
    if (m !== undefined && observeMember(this.#i.plan.pool, m, obs, Date.now())) this.#i.plan.onEject?.(m);
  }

  #release(): void {
    if (!this.#holding) return;
    this.#holding = false;
    this.#member!.state.inflight--;
  }

  #fail(code: ErrorCode): void {
    this.#error = code;
    this.#status = ERRORS[code].status;
    this.#grpcStatus = GRPC_STATUS_OF[code];
    this.#client.fail(code, this.#i.requestId, this.#i.hooks);
    this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#deadline !== null) clearTimeout(this.#deadline);
    this.#release();
    this.#i.done({
      status: this.#status, bytes: this.#bytes, upstreamMs: this.#upstreamMs, endpoint: this.#member?.key ?? '', attempts: this.#attempts,
      ...(this.#error ? { error: this.#error } : {}), ...(this.#grpcStatus !== undefined ? { grpcStatus: this.#grpcStatus } : {}),
    });
  }
}
