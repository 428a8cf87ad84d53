// Forwarding one request to a pool member with undici's dispatch API: no intermediate streams,
// backpressure from the client socket to the upstream, and retries on another member when the
// request provably did not reach the upstream (connect failure), or for idempotent requests
// when the connection reset before any response byte. Response hooks (plugins) may edit the
// headers and, when they ask for it, the buffered body.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { MeshgateError, type ErrorCode } from '../../proto/errors.js';
import { removeHeader } from './flat-headers.js';
import { sendError, setContentLength } from './local-answers.js';

export { sendError, sendJson } from './local-answers.js';
import { MESH_DESTINATION, MESH_ERROR } from '../../proto/headers.js';
import type { PoolMember, ServicePool } from '../pool/service-pool.js';
import { observeMember, pickMember } from '../pool/service-pool.js';
import type { Observation } from '../pool/endpoint-state.js';
import { responseHeaders } from './request-headers.js';
import { classifyUpstreamError, isIdempotent, WRITE_TIMEOUT } from './upstream-errors.js';

export interface ForwardPlan {
  readonly pool: ServicePool;
  /** the next hop is a meshgate sidecar, which tells us when its service was never reached */
  readonly meshHop?: boolean;
  readonly retries: number;
  readonly readTimeoutMs: number;
  /**
   * Kong's write_timeout (nginx proxy_send_timeout): how long a streamed request body may wait for
   * the upstream to take more of it. 0 or absent: not enforced.
   */
  readonly writeTimeoutMs?: number;
  /** bound on waiting for response headers per attempt (retried for idempotent requests); 0 = read timeout */
  readonly perTryTimeoutMs?: number;
  readonly onRetry?: () => void;
  readonly onEject?: (member: PoolMember) => void;
}

/** Edits of the answer before it reaches the client (plugins' response phases). */
export interface ResponseHooks {
  /** may edit `headers` (flat, in place); returns true to get the whole body in `body` first */
  headers(status: number, headers: string[]): boolean;
  body(body: Buffer, headers: string[]): Buffer;
  /** copies of the streamed body for observers (after headers); null for none */
  taps?(status: number, headers: string[]): readonly { chunk(b: Buffer): void; end(): void; abort(): void }[] | null;
}

/** What a finished exchange reports, for the single access-log line and the metrics. */
export interface ExchangeOutcome {
  readonly status: number;
  readonly bytes: number;
  readonly upstreamMs: number;
  readonly endpoint: string;
  readonly attempts: number;
  readonly error?: ErrorCode;
}

export interface ExchangeInit {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly plan: ForwardPlan;
  /** path and query sent upstream */
  readonly path: string;
  /** flat upstream headers; the mesh destination is added here per attempt */
  readonly headers: string[];
  readonly requestId: string;
  /** a replacement body (plugins that read or rewrote it); otherwise the client's streams */
  readonly body?: Buffer | null;
  readonly hooks?: ResponseHooks | null;
  readonly done: (outcome: ExchangeOutcome) => void;
}

export class Exchange implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #plan: ForwardPlan;
  readonly #opts: Dispatcher.DispatchOptions & { headers: string[] };
  readonly #destinationSlot: number;
  readonly #requestId: string;
  readonly #hooks: ResponseHooks | null;
  readonly #done: (outcome: ExchangeOutcome) => void;
  readonly #hasBody: boolean;
  readonly #bodyReplayable: boolean;
  #member: PoolMember | undefined;
  #tried: Set<PoolMember> | null = null;
  #attempts = 0;
  #abort: ((err?: Error) => void) | null = null;
  #resume: (() => void) | null = null;
  #dispatchedAt = 0;
  #upstreamMs = -1;
  #bytes = 0;
  #status = 0;
  #responseStarted = false;
  #holding = false;
  #swallow = false;
  #finished = false;
  #error: ErrorCode | undefined;
  /** response headers held back while the body is buffered for a hook */
  #held: string[] | null = null;
  #chunks: Buffer[] | null = null;
  #taps: readonly { chunk(b: Buffer): void; end(): void; abort(): void }[] | null = null;
  #writeWatch: NodeJS.Timeout | null = null;

  constructor(init: ExchangeInit) {
    const { req, plan, headers } = init;
    this.#req = req;
    this.#res = init.res;
    this.#plan = plan;
    this.#requestId = init.requestId;
    this.#hooks = init.hooks ?? null;
    this.#done = init.done;
    let body: Dispatcher.DispatchOptions['body'] = null;
    if (init.body != null) {
      body = init.body;
      setContentLength(headers, init.body.length);
    } else if (req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')) {
      body = req;
    }
    this.#hasBody = body !== null;
    this.#bodyReplayable = init.body != null;
    if (plan.meshHop === true) {
      headers.push(MESH_DESTINATION, '');
      this.#destinationSlot = headers.length - 1;
    } else {
      this.#destinationSlot = -1;
    }
    this.#opts = {
      origin: '', method: req.method as Dispatcher.HttpMethod, path: init.path, headers, body,
      headersTimeout: plan.perTryTimeoutMs ? Math.min(plan.perTryTimeoutMs, plan.readTimeoutMs) : plan.readTimeoutMs,
      bodyTimeout: plan.readTimeoutMs,
    };
    init.res.on('close', this.#onClientClose);
    plan.pool.budget.active++;
  }

  start(): void {
    const member = pickMember(this.#plan.pool, this.#tried, Date.now());
    if (member === undefined) {
      this.#fail(this.#attempts === 0 && this.#plan.pool.members.length === 0 ? 'MG_UPSTREAM_UNAVAILABLE' : 'MG_NO_PEER');
      return;
    }
    this.#member = member;
    this.#attempts++;
    member.state.inflight++;
    this.#holding = true;
    if (this.#destinationSlot >= 0) this.#opts.headers[this.#destinationSlot] = member.instanceId;
    this.#dispatchedAt = performance.now();
    member.dispatcher.dispatch(this.#opts, this);
    const wt = this.#plan.writeTimeoutMs ?? 0;
    if (wt > 0 && this.#opts.body === this.#req && this.#writeWatch === null && !this.#finished) this.#watchWrites(wt);
  }

  /**
   * undici pauses the client's body stream while the upstream socket does not take more; a
   * pause that outlasts write_timeout ends the attempt (504). A slow client is not this: its
   * stream stays flowing, with nothing to read.
   */
  #watchWrites(timeoutMs: number): void {
    const req = this.#req;
    let stalledSince = -1;
    this.#writeWatch = setInterval(() => {
      if (req.readableEnded || req.readableFlowing !== false) { stalledSince = -1; return; }
      const now = performance.now();
      if (stalledSince < 0) { stalledSince = now; return; }
      if (now - stalledSince < timeoutMs) return;
      this.#stopWriteWatch();
      this.#abort?.(Object.assign(new Error(`the upstream took no request bytes for ${timeoutMs} ms (write_timeout)`), { code: WRITE_TIMEOUT }));
    }, Math.max(10, Math.min(1000, Math.floor(timeoutMs / 4))));
    this.#writeWatch.unref();
  }

  #stopWriteWatch(): void {
    if (this.#writeWatch !== null) { clearInterval(this.#writeWatch); this.#writeWatch = null; }
  }

  // --- undici handler -------------------------------------------------------------------------
  onConnect(abort: (err?: Error) => void): void {
    if (this.#finished) abort();
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: informational, keep waiting
    this.#upstreamMs = performance.now() - this.#dispatchedAt;
    this.#stopWriteWatch();
    this.#status = statusCode;
    this.#responseStarted = true;
    if (statusCode >= 500 && this.#plan.meshHop === true && sidecarCouldNotConnect(rawHeaders) && this.#canRetry('MG_CONNECT_FAILED')) {
      // the sidecar never reached its service: drop this answer and try another member
      // (onComplete turns it into a connect failure, which is observed and retried there)
      this.#swallow = true;
      this.#responseStarted = false;
      return true;
    }
    const h = this.#plan.pool.health;
    this.#observe((h.kind === 'outlier' ? h.unhealthyStatuses.has(statusCode) : statusCode >= 500) ? 'http_failure' : 'success');
    const res = this.#res;
    if (res.destroyed) return false;
    const headers = responseHeaders(rawHeaders);
    this.#resume = resume;
    if (this.#hooks !== null && this.#hooks.headers(statusCode, headers)) {
      this.#held = headers;
      this.#chunks = [];
      return true;
    }
    if (this.#hooks?.taps !== undefined) this.#taps = this.#hooks.taps(statusCode, headers);
    res.writeHead(statusCode, headers);
    return true;
  }

  readonly #onDrain = (): void => { this.#resume?.(); };

  onData(chunk: Buffer): boolean {
    if (this.#swallow) return true;
    this.#bytes += chunk.length;
    if (this.#chunks !== null) { this.#chunks.push(chunk); return true; }
    if (this.#taps !== null) for (const t of this.#taps) t.chunk(chunk);
    if (this.#res.write(chunk)) return true;
    this.#res.once('drain', this.#onDrain);
    return false;
  }

  onComplete(): void {
    if (this.#swallow) {
      this.#swallow = false;
      this.onError(Object.assign(new Error('sidecar could not reach its service'), { code: 'ECONNREFUSED' }));
      return;
    }
    this.#release();
    if (this.#chunks !== null && this.#held !== null) {
      const body = this.#hooks!.body(Buffer.concat(this.#chunks), this.#held);
      removeHeader(this.#held, 'transfer-encoding');
      setContentLength(this.#held, body.length);
      this.#res.writeHead(this.#status, this.#held);
      this.#res.end(body);
      this.#bytes = body.length;
    } else {
      this.#res.end();
      if (this.#taps !== null) for (const t of this.#taps) t.end();
      this.#taps = null;
    }
    this.#finish();
  }

  onError(err: Error): void {
    this.#release();
    if (this.#finished) return;
    const code = classifyUpstreamError(err);
    const obs = code === 'MG_CONNECT_TIMEOUT' || code === 'MG_UPSTREAM_TIMEOUT' ? 'timeout' : 'tcp_failure';
    if (this.#responseStarted) {
      // bytes already reached the client: the only honest signal left is a truncated response
      this.#observe(obs);
      this.#error = code;
      if (this.#held !== null) { this.#responseStarted = false; this.#fail(code); return; }
      this.#res.destroy(err);
      this.#finish();
      return;
    }
    this.#observe(obs);
    if (this.#canRetry(code) && this.#takeRetrySlot()) {
      (this.#tried ??= new Set()).add(this.#member!);
      this.#plan.onRetry?.();
      this.start();
      return;
    }
    this.#fail(code);
  }

  #retrySlot = false;
  /** one budget slot per exchange, held until it finishes */
  #takeRetrySlot(): boolean {
    if (this.#retrySlot) return true;
    this.#retrySlot = this.#plan.pool.budget.tryAcquire();
    return this.#retrySlot;
  }

  // --- internals ------------------------------------------------------------------------------
  #canRetry(code: ErrorCode): boolean {
    if (this.#attempts > this.#plan.retries || this.#res.destroyed) return false;
    const bodyUntouched = !this.#hasBody || this.#bodyReplayable || !this.#req.readableDidRead;
    if (code === 'MG_CONNECT_FAILED' || code === 'MG_CONNECT_TIMEOUT') return bodyUntouched;
    const replayable = (!this.#hasBody || this.#bodyReplayable) && isIdempotent(this.#req.method ?? '');
    if (code === 'MG_UPSTREAM_TIMEOUT') return replayable && (this.#plan.perTryTimeoutMs ?? 0) > 0 && this.#plan.perTryTimeoutMs! < this.#plan.readTimeoutMs;
    return code === 'MG_UPSTREAM_RESET' && replayable;
  }

  #observe(obs: Observation): void {
    const m = this.#member;
    if (m !== undefined && observeMember(this.#plan.pool, m, obs, Date.now())) this.#plan.onEject?.(m);
  }

  #release(): void {
    this.#abort = null;
    this.#stopWriteWatch();
    if (this.#holding) {
      this.#holding = false;
      this.#member!.state.inflight--;
    }
  }

  readonly #onClientClose = (): void => {
    if (this.#finished) return;
    // The client went away before we finished: finish first, then stop the upstream side.
    // abort() calls onError synchronously, which must not count our own abort against the
    // upstream (passive health) or answer the gone client.
    const abort = this.#abort;
    this.#error ??= 'MG_CLIENT_CLOSED';
    if (this.#status === 0) this.#status = 499;
    this.#release();
    this.#finish();
    abort?.(new Error('client closed'));
  };

  #fail(code: ErrorCode): void {
    this.#error = code;
    this.#status = new MeshgateError(code).status;
    sendError(this.#res, code, this.#requestId, this.#hooks);
    this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#plan.pool.budget.active--;
    if (this.#retrySlot) this.#plan.pool.budget.release();
    if (this.#taps !== null) { for (const t of this.#taps) t.abort(); this.#taps = null; }
    this.#done({
      status: this.#status, bytes: this.#bytes, upstreamMs: this.#upstreamMs,
      endpoint: this.#member?.key ?? '', attempts: this.#attempts, ...(this.#error ? { error: this.#error } : {}),
    });
  }
}

function sidecarCouldNotConnect(raw: readonly Buffer[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === MESH_ERROR.length && raw[i]!.toString('latin1').toLowerCase() === MESH_ERROR) {
      const code = raw[i + 1]!.toString('latin1');
      return code === 'MG_CONNECT_FAILED' || code === 'MG_CONNECT_TIMEOUT' || code === 'MG_DRAINING';
    }
  }
  return false;
}
