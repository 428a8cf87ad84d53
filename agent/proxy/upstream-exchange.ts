// One request's attempts at a pool member with undici's dispatch API: no intermediate streams,
// backpressure from the client socket to the upstream. A failed attempt goes to another member
// when the retry policy (the error table's `retryable` / `idempotentRetry`) allows it; the
// answer is relayed by ResponseRelay; a streamed body's write_timeout and the client's body bounds
// are kept by body-watchdog.ts.
import type { Dispatcher } from 'undici';
import { MeshgateError, type ErrorCode } from '../../proto/errors.js';
import { MESH_DESTINATION } from '../../proto/headers.js';
import { recordLatency } from '../balance/latency.js';
import type { HopTrace } from '../observe/trace/tracer.js';
import { statusObservation, type Observation } from '../pool/endpoint-state.js';
import type { PoolMember } from '../pool/service-pool.js';
import { observeMember, pickMember } from '../pool/service-pool.js';
import type { InboundRequest, OutboundResponse } from '../pipeline/transport.js';
import { removeHeader, setContentLength } from './flat-headers.js';
import type { ExchangeOutcome, ForwardPlan, ResponseHooks } from './forward-plan.js';
import { sendError } from './local-answers.js';
import { ResponseRelay } from './response-relay.js';
import { mayRetry } from './retry-policy.js';
import { classifyUpstreamError, sidecarNeverReached } from './upstream-errors.js';
import { watchStreamedBody, type BodyLimits } from './body-watchdog.js';
import { hasRequestBody } from './request-body.js';

export interface ExchangeInit {
  readonly req: InboundRequest;
  readonly res: OutboundResponse;
  readonly plan: ForwardPlan;
  /** path and query sent upstream */
  readonly path: string;
  /** flat upstream headers; the mesh destination is added here per attempt */
  readonly headers: string[];
  readonly requestId: string;
  /** the request's hashed key for the balancer (0 when the pool hashes nothing) */
  readonly hash?: number;
  /** a replacement body (plugins that read or rewrote it); otherwise the client's streams */
  readonly body?: Buffer | null;
  readonly hooks?: ResponseHooks | null;
  /** the hop's trace: a client span per attempt, its traceparent sent upstream; null when off */
  readonly trace?: HopTrace | null;
  /** the client body's bounds (the listener's body_timeout and request_timeout); null: none */
  readonly bodyLimits?: BodyLimits | null;
  /** when the request's head was read (performance.now()), for request_timeout */
  readonly startedAt?: number;
  readonly done: (outcome: ExchangeOutcome) => void;
}

export class Exchange implements Dispatcher.DispatchHandler {
  readonly #req: InboundRequest;
  readonly #res: OutboundResponse;
  readonly #plan: ForwardPlan;
  readonly #opts: Dispatcher.DispatchOptions & { headers: string[] };
  readonly #destinationSlot: number;
  readonly #trace: HopTrace | null;
  readonly #traceSlot: number;
  readonly #requestId: string;
  readonly #hooks: ResponseHooks | null;
  readonly #relay: ResponseRelay;
  readonly #done: (outcome: ExchangeOutcome) => void;
  readonly #hasBody: boolean;
  readonly #bodyReplayable: boolean;
  readonly #hash: number;
  #member: PoolMember | undefined;
  #tried: Set<PoolMember> | null = null;
  #attempts = 0;
  #abort: ((err?: Error) => void) | null = null;
  #dispatchedAt = 0;
  #upstreamMs = -1;
  #status = 0;
  #responseStarted = false;
  #holding = false;
  /** a sidecar's answer that is dropped for a retry (the retry already withdrawn from the budget) */
  #swallow: ErrorCode | null = null;
  #finished = false;
  #error: ErrorCode | undefined;
  /** the failure of the attempt a retry follows */
  #lastFailure: ErrorCode | undefined;
  /** write_timeout and the client body's bounds, while the client's body streams upstream */
  #stopBodyWatch: (() => void) | null = null;
  readonly #bodyLimits: BodyLimits | null;
  readonly #startedAt: number; // the request head's arrival, for request_timeout

  constructor(init: ExchangeInit) {
    const { req, plan, headers } = init;
    this.#req = req;
    this.#res = init.res;
    this.#plan = plan;
    this.#requestId = init.requestId;
    this.#hooks = init.hooks ?? null;
    this.#relay = new ResponseRelay(init.res, this.#hooks);
    this.#done = init.done;
    this.#hash = init.hash ?? 0;
    [this.#bodyLimits, this.#startedAt] = [init.bodyLimits ?? null, init.startedAt ?? performance.now()];
    let body: Dispatcher.DispatchOptions['body'] = null;
    if (init.body != null) {
      body = init.body;
      setContentLength(headers, init.body.length);
    } else if (hasRequestBody(req)) {
      body = req;
    }
    this.#hasBody = body !== null;
    this.#bodyReplayable = init.body != null;
    this.#trace = init.trace ?? null;
    if (this.#trace !== null) {
      // the caller's trace headers are replaced by ours (the trace continues through our spans);
      // removal compacts the array, so it comes before any slot is taken
      removeHeader(headers, 'traceparent');
      removeHeader(headers, 'tracestate');
      headers.push('traceparent', '');
      this.#traceSlot = headers.length - 1;
      const ts = this.#trace.traceState;
      if (ts !== undefined) headers.push('tracestate', ts);
    } else {
      this.#traceSlot = -1;
    }
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
    plan.pool.budget.deposit(Date.now());
  }

  /** One attempt: pick a member not tried yet and dispatch to it. */
  start(): void {
    const member = pickMember(this.#plan.pool, this.#tried, Date.now(), this.#hash);
    if (member === undefined) {
      // every member tried: the answer is the last attempt's failure (nginx's, e.g. 502), not "no peer"
      if (this.#lastFailure !== undefined) this.#fail(this.#lastFailure);
      else this.#fail(this.#plan.pool.members.length === 0 ? 'MG_UPSTREAM_UNAVAILABLE' : 'MG_NO_PEER');
      return;
    }
    this.#member = member;
    this.#attempts++;
    member.state.inflight++;
    this.#holding = true;
    if (this.#destinationSlot >= 0) this.#opts.headers[this.#destinationSlot] = member.instanceId;
    if (this.#trace !== null) this.#opts.headers[this.#traceSlot] = this.#trace.attemptStart(this.#attempts, member.key, this.#opts.method);
    this.#dispatchedAt = performance.now();
    member.dispatcher.dispatch(this.#opts, this);
    if (this.#opts.body === this.#req && this.#stopBodyWatch === null && !this.#finished) {
      this.#stopBodyWatch = watchStreamedBody(this.#req, this.#plan.writeTimeoutMs ?? 0, this.#bodyLimits, this.#startedAt, this.#bodyExpired);
    }
  }

  // --- undici handler -------------------------------------------------------------------------
  onConnect(abort: (err?: Error) => void): void {
    if (this.#finished) abort();
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: informational, keep waiting
    this.#upstreamMs = performance.now() - this.#dispatchedAt;
    this.#endWriteWatch();
    this.#status = statusCode;
    this.#responseStarted = true;
    if (statusCode >= 500 && this.#plan.meshHop === true) {
      const code = sidecarNeverReached(rawHeaders);
      // the sidecar never reached its service: drop this answer and try another member, but only
      // with a retry in the budget; otherwise its answer (a 503 with its Retry-After) is relayed
      if (code !== null && this.#canRetry(code) && this.#plan.pool.budget.tryWithdraw(Date.now())) {
        this.#swallow = code;
        this.#responseStarted = false;
        this.#trace?.attemptEnd(statusCode, code);
        return true;
      }
    }
    this.#trace?.attemptEnd(statusCode);
    const observation = statusObservation(this.#plan.pool.health, statusCode);
    if (observation !== null) this.#observe(observation);
    return this.#relay.head(statusCode, rawHeaders, resume);
  }

  onData(chunk: Buffer): boolean {
    if (this.#swallow !== null) return true;
    return this.#relay.data(chunk);
  }

  onComplete(): void {
    if (this.#swallow !== null) {
      const code = this.#swallow;
      this.#swallow = null;
      this.#measure();
      this.#release();
      if (this.#finished) return;
      this.#observe('tcp_failure');
      this.#retry(code);
      return;
    }
    this.#measure();
    this.#release();
    this.#relay.complete();
    this.#finish();
  }

  onError(err: Error): void {
    this.#swallow = null;
    if (!this.#finished) this.#measure();
    this.#release();
    if (this.#finished) return;
    const code = classifyUpstreamError(err);
    this.#trace?.attemptEnd(0, code);
    this.#observe(code === 'MG_CONNECT_TIMEOUT' || code === 'MG_UPSTREAM_TIMEOUT' ? 'timeout' : 'tcp_failure');
    if (this.#responseStarted) {
      this.#error = code;
      if (this.#relay.holding) { this.#responseStarted = false; this.#fail(code); return; }
      // bytes already reached the client: the only honest signal left is a truncated response
      this.#res.destroy(err);
      this.#finish();
      return;
    }
    if (this.#canRetry(code) && this.#plan.pool.budget.tryWithdraw(Date.now())) return this.#retry(code);
    this.#fail(code);
  }

  // --- internals ------------------------------------------------------------------------------
  /** Another member, the retry already withdrawn from the budget; once every member was tried the answer is `code`'s. */
  #retry(code: ErrorCode): void {
    this.#lastFailure = code;
    (this.#tried ??= new Set()).add(this.#member!);
    this.#plan.onRetry?.(code);
    this.start();
  }

  #canRetry(code: ErrorCode): boolean {
    const plan = this.#plan;
    return mayRetry(code, {
      attempts: this.#attempts, retries: plan.retries, clientGone: this.#res.destroyed, method: this.#req.method ?? '',
      hasBody: this.#hasBody, bodyReplayable: this.#bodyReplayable, bodyStarted: this.#req.readableDidRead,
      perTryTimeoutMs: plan.perTryTimeoutMs ?? 0, readTimeoutMs: plan.readTimeoutMs,
    });
  }

  #observe(obs: Observation): void {
    const m = this.#member;
    if (m !== undefined && observeMember(this.#plan.pool, m, obs, Date.now())) this.#plan.onEject?.(m);
  }

  /** the attempt's connect + response time, for the latency balancer (Kong feeds the same) */
  #measure(): void {
    if (this.#holding && this.#plan.pool.measuresLatency) recordLatency(this.#member!.state, performance.now() - this.#dispatchedAt, Date.now());
  }

  #endWriteWatch(): void {
    if (this.#stopBodyWatch !== null) { this.#stopBodyWatch(); this.#stopBodyWatch = null; }
  }

  #release(): void {
    this.#abort = null;
    this.#endWriteWatch();
    if (this.#holding) {
      this.#holding = false;
      this.#member!.state.inflight--;
    }
  }

  /** a body watch expired: end the attempt (before the connection exists, fail it here) */
  readonly #bodyExpired = (err: Error): void => {
    this.#stopBodyWatch = null;
    if (this.#abort !== null) this.#abort(err); else this.onError(err);
  };
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
    this.#relay.abandon();
    this.#done({
      status: this.#status, bytes: this.#relay.bytes, upstreamMs: this.#upstreamMs,
      endpoint: this.#member?.key ?? '', attempts: this.#attempts, ...(this.#error ? { error: this.#error } : {}),
    });
  }
}
