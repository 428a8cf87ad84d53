// Forwarding one request to a pool member with undici's dispatch API: no intermediate streams,
// backpressure from the client socket to the upstream, and retries on another member when the
// request provably did not reach the upstream (connect failure), or for idempotent requests
// when the connection reset before any response byte.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { MeshgateError, errorBody, type ErrorCode } from '../../proto/errors.js';
import type { PoolMember, ServicePool } from '../pool/service-pool.js';
import { pickMember } from '../pool/service-pool.js';
import { responseHeaders } from './request-headers.js';
import { MESH_ERROR } from '../../proto/headers.js';
import { classifyUpstreamError, isIdempotent } from './upstream-errors.js';

export interface ForwardPlan {
  readonly pool: ServicePool;
  /** the next hop is a meshgate sidecar, which tells us when its service was never reached */
  readonly meshHop?: boolean;
  readonly retries: number;
  readonly readTimeoutMs: number;
  readonly onRetry?: () => void;
  readonly onEject?: (member: PoolMember) => void;
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

export class Exchange implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #plan: ForwardPlan;
  readonly #opts: Dispatcher.DispatchOptions & { headers: string[] };
  readonly #destinationSlot: number;
  readonly #requestId: string;
  readonly #done: (outcome: ExchangeOutcome) => void;
  readonly #hasBody: boolean;
  #member: PoolMember | undefined;
  #tried: Set<PoolMember> | null = null;
  #attempts = 0;
  #abort: ((err?: Error) => void) | null = null;
  #dispatchedAt = 0;
  #upstreamMs = -1;
  #bytes = 0;
  #status = 0;
  #responseStarted = false;
  #holding = false;
  #swallow = false;
  #finished = false;
  #error: ErrorCode | undefined;

  constructor(
    req: IncomingMessage, res: ServerResponse, plan: ForwardPlan, path: string, headers: string[],
    destinationSlot: number, requestId: string, done: (outcome: ExchangeOutcome) => void,
  ) {
    this.#req = req;
    this.#res = res;
    this.#plan = plan;
    this.#destinationSlot = destinationSlot;
    this.#requestId = requestId;
    this.#done = done;
    this.#hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
    this.#opts = {
      origin: '', method: req.method as Dispatcher.HttpMethod, path, headers,
      body: this.#hasBody ? req : null,
      headersTimeout: plan.readTimeoutMs, bodyTimeout: plan.readTimeoutMs,
    };
    res.once('close', this.#onClientClose);
  }

  start(): void {
    const member = pickMember(this.#plan.pool, this.#tried, Date.now());
    if (member === undefined) {
      this.#fail(this.#attempts === 0 ? (this.#plan.pool.members.length ? 'MG_NO_PEER' : 'MG_UPSTREAM_UNAVAILABLE') : 'MG_NO_PEER');
      return;
    }
    this.#member = member;
    this.#attempts++;
    member.state.inflight++;
    this.#holding = true;
    if (this.#destinationSlot >= 0) this.#opts.headers[this.#destinationSlot] = member.instanceId;
    this.#dispatchedAt = performance.now();
    member.dispatcher.dispatch(this.#opts, this);
  }

  // --- undici handler -------------------------------------------------------------------------
  onConnect(abort: (err?: Error) => void): void {
    if (this.#finished) abort();
    else this.#abort = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx: informational, keep waiting
    this.#upstreamMs = performance.now() - this.#dispatchedAt;
    this.#status = statusCode;
    this.#responseStarted = true;
    if (statusCode >= 500) {
      if (this.#plan.meshHop === true && sidecarCouldNotConnect(rawHeaders) && this.#canRetry('MG_CONNECT_FAILED')) {
        // the sidecar never reached its service: drop this answer and try another member
        this.#swallow = true;
        this.#responseStarted = false;
        return true;
      }
      this.#memberFailed();
    }
    const res = this.#res;
    if (res.destroyed) return false;
    res.writeHead(statusCode, responseHeaders(rawHeaders));
    this.#resume = resume;
    return true;
  }

  #resume: (() => void) | null = null;
  readonly #onDrain = (): void => { this.#resume?.(); };

  onData(chunk: Buffer): boolean {
    if (this.#swallow) return true;
    this.#bytes += chunk.length;
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
    this.#res.end();
    this.#finish();
  }

  onError(err: Error): void {
    this.#release();
    if (this.#finished) return;
    const code = classifyUpstreamError(err);
    if (this.#responseStarted) {
      // bytes already reached the client: the only honest signal left is a truncated response
      this.#memberFailed();
      this.#error = code;
      this.#res.destroy(err);
      this.#finish();
      return;
    }
    this.#memberFailed();
    if (this.#canRetry(code)) {
      (this.#tried ??= new Set()).add(this.#member!);
      this.#plan.onRetry?.();
      this.start();
      return;
    }
    this.#fail(code);
  }

  // --- internals ------------------------------------------------------------------------------
  #canRetry(code: ErrorCode): boolean {
    if (this.#attempts > this.#plan.retries || this.#res.destroyed) return false;
    const bodyUntouched = !this.#hasBody || !this.#req.readableDidRead;
    if (code === 'MG_CONNECT_FAILED' || code === 'MG_CONNECT_TIMEOUT') return bodyUntouched;
    return code === 'MG_UPSTREAM_RESET' && !this.#hasBody && isIdempotent(this.#req.method ?? '');
  }

  #memberFailed(): void {
    const m = this.#member;
    if (m !== undefined && m.state.recordFailure(Date.now(), this.#plan.pool.health)) this.#plan.onEject?.(m);
  }

  #release(): void {
    this.#abort = null;
    if (this.#holding) {
      this.#holding = false;
      this.#member!.state.inflight--;
    }
  }

  readonly #onClientClose = (): void => {
    if (this.#finished) return;
    // the client went away before we finished: stop the upstream side too
    this.#abort?.(new Error('client closed'));
    this.#error ??= 'MG_UPSTREAM_RESET';
    if (this.#status === 0) this.#status = 499;
    this.#release();
    this.#finish();
  };

  #fail(code: ErrorCode): void {
    this.#error = code;
    const err = new MeshgateError(code);
    this.#status = err.status;
    sendError(this.#res, code, this.#requestId);
    this.#finish();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
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

export function sendError(res: ServerResponse, code: ErrorCode, requestId: string, extraHeaders?: Record<string, string>): void {
  if (res.headersSent) { res.destroy(); return; }
  const body = errorBody(code, requestId);
  const e = new MeshgateError(code);
  res.writeHead(e.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    [MESH_ERROR]: code,
    ...extraHeaders,
  });
  res.end(body);
}
