// The forward phase of an upgrade (WebSocket), whichever way the client asked for it (HTTP/1.1
// Upgrade, or HTTP/2 extended CONNECT: tunnel-client.ts): the handshake goes to a pool member with
// undici's dispatch API and `upgrade` (the member's own pooled dispatcher: the same pick, and for
// a sidecar the same mesh mTLS client material, as a normal request); undici writes
// `Connection: upgrade` and `Upgrade: <the protocol>` itself. A 101 is answered to the client with
// the upstream's end-to-end headers and the two sides are spliced (upgrade-splice.ts); any other
// answer is relayed as a normal response, then the client's connection (HTTP/2: stream) ends. A
// connect failure goes to another member as the error table and the route's retries allow.
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { MeshgateError, type ErrorCode } from '../../proto/errors.js';
import { MESH_DESTINATION } from '../../proto/headers.js';
import type { TunnelRoleStats } from '../observe/tunnel-stats.js';
import type { PoolMember } from '../pool/service-pool.js';
import { observeMember, pickMember } from '../pool/service-pool.js';
import type { ExchangeOutcome, ForwardPlan, ResponseHooks } from './forward-plan.js';
import { sendError } from './local-answers.js';
import { responseHeaders } from './request-headers.js';
import { ResponseRelay } from './response-relay.js';
import { mayRetry } from './retry-policy.js';
import type { TunnelClient } from './tunnel-client.js';
import { classifyUpstreamError } from './upstream-errors.js';
import { UpgradeSplice, type SpliceEnd } from './upgrade-splice.js';

export interface UpgradeInit {
  readonly client: TunnelClient;
  readonly method: string;
  readonly plan: ForwardPlan;
  readonly path: string;
  /** flat end-to-end headers (hop-by-hop already dropped) */
  readonly headers: string[];
  readonly hash: number;
  readonly requestId: string;
  readonly hooks: ResponseHooks | null;
  /** no byte either way for this long closes the tunnel (0: never) */
  readonly idleMs: number;
  readonly stats: TunnelRoleStats;
  readonly done: (outcome: ExchangeOutcome) => void;
}

export class UpgradeAttempt implements Dispatcher.DispatchHandler {
  readonly #init: UpgradeInit;
  readonly #opts: Dispatcher.DispatchOptions & { headers: string[] };
  readonly #destinationSlot: number;
  #member: PoolMember | undefined;
  #tried: Set<PoolMember> | null = null;
  #attempts = 0;
  #abort: ((err?: Error) => void) | null = null;
  #dispatchedAt = 0;
  #upstreamMs = -1;
  #relay: ResponseRelay | null = null;
  #finished = false;
  #lastFailure: ErrorCode | undefined;
  #released = false;

  constructor(init: UpgradeInit) {
    this.#init = init;
    const headers = init.headers;
    if (init.plan.meshHop === true) {
      headers.push(MESH_DESTINATION, '');
      this.#destinationSlot = headers.length - 1;
    } else {
      this.#destinationSlot = -1;
    }
    this.#opts = {
      origin: '', method: init.method as Dispatcher.HttpMethod, path: init.path, headers, body: null, upgrade: init.client.protocol,
      headersTimeout: init.plan.readTimeoutMs, bodyTimeout: init.plan.readTimeoutMs,
    };
    init.client.res.on('close', this.#onClientClose);
    init.plan.pool.budget.deposit(Date.now());
  }

  start(): void {
    const plan = this.#init.plan;
    const member = pickMember(plan.pool, this.#tried, Date.now(), this.#init.hash);
    if (member === undefined) {
      if (this.#lastFailure !== undefined) this.#fail(this.#lastFailure);
      else this.#fail(plan.pool.members.length === 0 ? 'MG_UPSTREAM_UNAVAILABLE' : 'MG_NO_PEER');
      return;
    }
    this.#member = member;
    this.#attempts++;
    member.state.inflight++;
    if (this.#destinationSlot >= 0) this.#opts.headers[this.#destinationSlot] = member.instanceId;
    this.#dispatchedAt = performance.now();
    member.dispatcher.dispatch(this.#opts, this);
  }

  // --- undici handler -------------------------------------------------------------------------
  onConnect(abort: (err?: Error) => void): void {
    if (this.#finished) abort();
    else this.#abort = abort;
  }

  /** the upstream declined the upgrade: its answer goes to the client as a normal response */
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.#upstreamMs = performance.now() - this.#dispatchedAt;
    this.#observe(statusCode >= 500 ? 'http_failure' : 'success');
    this.#relay = new ResponseRelay(this.#init.client.res, this.#init.hooks);
    return this.#relay.head(statusCode, rawHeaders, resume);
  }

  onData(chunk: Buffer): boolean {
    return this.#relay === null ? true : this.#relay.data(chunk);
  }

  onComplete(): void {
    this.#release();
    this.#relay?.complete();
    this.#finish(this.#relay === null ? 502 : this.#relay.status, this.#relay?.bytes ?? 0);
  }

  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, upstream: Duplex): void {
    this.#upstreamMs = performance.now() - this.#dispatchedAt;
    this.#abort = null;
    this.#observe('success');
    const init = this.#init;
    const client = init.client;
    if (this.#finished || client.gone()) { upstream.destroy(); this.#release(); return; }
    const raw = (rawHeaders ?? []) as Buffer[];
    const headers = responseHeaders(raw);
    init.hooks?.headers(client.acceptStatus, headers);
    const side = client.accept(headers, raw);
    if (typeof side === 'string') { upstream.destroy(); this.#release(); this.#fail(side); return; }
    const splice = new UpgradeSplice(side, upstream, init.idleMs, (why) => this.#closed(splice, why), (why) => client.reset(why));
    init.stats.opened(splice);
    this.#finished = true;
    splice.start(client.head);
  }

  onError(err: Error): void {
    this.#release();
    if (this.#finished) return;
    const code = classifyUpstreamError(err);
    this.#observe(code === 'MG_CONNECT_TIMEOUT' || code === 'MG_UPSTREAM_TIMEOUT' ? 'timeout' : 'tcp_failure');
    if (this.#relay !== null) { this.#init.client.res.destroy(); this.#finish(this.#relay.status, this.#relay.bytes, code); return; }
    const plan = this.#init.plan;
    const retry = mayRetry(code, {
      attempts: this.#attempts, retries: plan.retries, clientGone: this.#init.client.gone(), method: this.#init.method,
      hasBody: false, bodyReplayable: false, bodyStarted: false, perTryTimeoutMs: 0, readTimeoutMs: plan.readTimeoutMs,
    });
    if (retry && plan.pool.budget.tryWithdraw(Date.now())) {
      this.#lastFailure = code;
      (this.#tried ??= new Set()).add(this.#member!);
      plan.onRetry?.(code);
      this.start();
      return;
    }
    this.#fail(code);
  }

  // --- internals ------------------------------------------------------------------------------
  #closed(splice: UpgradeSplice, why: SpliceEnd): void {
    this.#init.stats.closed(splice);
    this.#release();
    this.#init.done({
      status: this.#init.client.acceptStatus, bytes: splice.bytesOut, bytesIn: splice.bytesIn, upstreamMs: this.#upstreamMs, endpoint: this.#member?.key ?? '',
      attempts: this.#attempts, ...(why !== null ? { error: why } : {}),
    });
  }

  #observe(obs: 'success' | 'http_failure' | 'tcp_failure' | 'timeout'): void {
    const m = this.#member;
    const plan = this.#init.plan;
    if (m !== undefined && observeMember(plan.pool, m, obs, Date.now())) plan.onEject?.(m);
  }

  /** the member's in-flight count covers the tunnel's whole life (least-connections sees it) */
  #release(): void {
    this.#abort = null;
    if (this.#member !== undefined && !this.#released) { this.#released = true; this.#member.state.inflight--; }
  }

  readonly #onClientClose = (): void => {
    if (this.#finished) return;
    const abort = this.#abort;
    this.#release();
    this.#finish(499, this.#relay?.bytes ?? 0, 'MG_CLIENT_CLOSED');
    abort?.(new Error('client closed'));
  };

  #fail(code: ErrorCode): void {
    sendError(this.#init.client.res, code, this.#init.requestId, this.#init.hooks);
    this.#finish(new MeshgateError(code).status, 0, code);
  }

  #finish(status: number, bytes: number, error?: ErrorCode): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#relay?.abandon();
    this.#init.done({
      status, bytes, upstreamMs: this.#upstreamMs, endpoint: this.#member?.key ?? '', attempts: this.#attempts, ...(error ? { error } : {}),
    });
  }
}
