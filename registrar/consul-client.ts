// The one module that speaks Consul's HTTP API. Everything Consul-specific about transport
// (token header, blocking parameters, index header) lives here so a future API change is local.
import { Agent, request, type Dispatcher } from 'undici';
import { requiredPermission } from './acl-permissions.js';
import { parseIndexHeader } from './consul-index-policy.js';
import { createTokenSource, type TokenSource } from './token-source.js';

export interface ConsulClientOptions {
  readonly address: string;
  /** a fixed token (tests, tools); agents pass `tokens` */
  readonly token?: string;
  readonly tokens?: TokenSource;
  readonly datacenter?: string;
  /** Consul refused a request for lack of an ACL permission (metric, log) */
  readonly onPermissionDenied?: (err: ConsulPermissionError) => void;
}

export interface ConsulResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly index: number | undefined;
}

export class ConsulHttpError extends Error {
  constructor(readonly status: number, readonly path: string, readonly detail: string) {
    super(`consul ${path}: HTTP ${status}: ${detail.slice(0, 200)}`);
    this.name = 'ConsulHttpError';
  }
}

/** HTTP 403: the token lacks `permission` (or is unknown to Consul). */
export class ConsulPermissionError extends ConsulHttpError {
  constructor(path: string, detail: string, readonly permission: string) {
    super(403, path, detail);
    this.name = 'ConsulPermissionError';
    this.message = `consul ${path}: ACL token lacks ${permission}: ${detail.slice(0, 200)}`;
  }
}

/** Where a client sends its requests, and as whom: what a reload may change. */
export interface ConsulTarget {
  readonly address: string;
  readonly tokens: TokenSource;
  readonly datacenter: string | undefined;
}

export class ConsulClient {
  #address: string;
  #tokens: TokenSource;
  #datacenter: string | undefined;
  #dispatcher: Dispatcher;
  /** blocking queries each hold a connection while they wait: no cap, or they would queue behind each other */
  #blockingDispatcher: Dispatcher;
  readonly #onDenied: ((err: ConsulPermissionError) => void) | undefined;
  #headers: Record<string, string> = {};
  /** requests sent to Consul since start, and blocking calls waiting now (metrics, the convergence bench) */
  readonly stats = { requests: 0, blocking: 0 };

  constructor(opts: ConsulClientOptions) {
    this.#address = opts.address.replace(/\/+$/, '');
    this.#tokens = opts.tokens ?? createTokenSource({ ...(opts.token ? { token: opts.token } : {}), env: {} });
    this.#setHeaders();
    this.#tokens.onChange(() => this.#setHeaders());
    this.#onDenied = opts.onPermissionDenied;
    this.#datacenter = opts.datacenter;
    this.#dispatcher = newDispatcher();
    this.#blockingDispatcher = newBlockingDispatcher();
  }

  get address(): string { return this.#address; }
  get tokens(): TokenSource { return this.#tokens; }
  get target(): ConsulTarget { return { address: this.#address, tokens: this.#tokens, datacenter: this.#datacenter }; }

  /**
   * A reload's Consul address, tokens and datacenter, for every request from now on. Blocking
   * queries in flight are cut: their watchers keep their last answer and ask again (index 0, the
   * new agent's state) after their usual short backoff. Returns the previous target; its token
   * source is the caller's to close.
   */
  repoint(next: ConsulTarget): ConsulTarget {
    const previous = this.target;
    this.#address = next.address.replace(/\/+$/, '');
    this.#datacenter = next.datacenter;
    if (next.tokens !== this.#tokens) {
      this.#tokens = next.tokens;
      this.#tokens.onChange(() => { if (this.#tokens === next.tokens) this.#setHeaders(); });
    }
    this.#setHeaders();
    const [oldDispatcher, oldBlocking] = [this.#dispatcher, this.#blockingDispatcher];
    this.#dispatcher = newDispatcher();
    this.#blockingDispatcher = newBlockingDispatcher();
    // requests in flight on the short-request pool finish; the long waits end now
    void oldDispatcher.close().catch(() => {});
    void oldBlocking.destroy().catch(() => {});
    return previous;
  }

  #setHeaders(): void {
    const t = this.#tokens.current();
    this.#headers = t ? { 'x-consul-token': t } : {};
  }

  #fail(status: number, path: string, text: string): never {
    if (status !== 403) throw new ConsulHttpError(status, path, text);
    const err = new ConsulPermissionError(path, text, requiredPermission(path));
    // the token may have been rotated under us: look at the file again before the next call
    this.#tokens.refresh();
    this.#onDenied?.(err);
    throw err;
  }

  /** GET; with `index` set it is a blocking query that returns after at most `waitMs` (+ jitter). */
  async get<T>(path: string, query: Record<string, string> = {}, block?: { index: number; waitMs: number; signal?: AbortSignal }): Promise<ConsulResponse<T>> {
    const params = new URLSearchParams(query);
    if (this.#datacenter && !params.has('dc')) params.set('dc', this.#datacenter);
    let timeout = 10_000;
    if (block) {
      params.set('index', String(block.index));
      params.set('wait', `${Math.ceil(block.waitMs / 1000)}s`);
      timeout = block.waitMs + block.waitMs / 16 + 10_000;
    }
    const qs = params.toString();
    this.stats.requests++;
    if (block) this.stats.blocking++;
    let res, text;
    try {
      res = await request(`${this.address}/v1${path}${qs ? `?${qs}` : ''}`, {
        method: 'GET', headers: this.#headers, dispatcher: block ? this.#blockingDispatcher : this.#dispatcher,
        headersTimeout: timeout, bodyTimeout: timeout, signal: block?.signal,
      });
      text = await res.body.text();
    } finally {
      if (block) this.stats.blocking--;
    }
    if (res.statusCode >= 400) this.#fail(res.statusCode, path, text);
    return { status: res.statusCode, body: (text ? JSON.parse(text) : null) as T, index: parseIndexHeader(res.headers['x-consul-index']) };
  }

  async put(path: string, body?: unknown, query: Record<string, string> = {}): Promise<void> {
    await this.send('PUT', path, body, query);
  }

  async send<T = unknown>(method: 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown, query: Record<string, string> = {}): Promise<T> {
    const qs = new URLSearchParams(query).toString();
    this.stats.requests++;
    const res = await request(`${this.address}/v1${path}${qs ? `?${qs}` : ''}`, {
      method, headers: { ...this.#headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body), dispatcher: this.#dispatcher,
      headersTimeout: 10_000, bodyTimeout: 10_000,
    });
    const text = await res.body.text();
    if (res.statusCode >= 400) this.#fail(res.statusCode, path, text);
    return (text ? JSON.parse(text) : null) as T;
  }

  async close(): Promise<void> {
    this.#tokens.close();
    await Promise.all([this.#dispatcher.destroy(), this.#blockingDispatcher.destroy()]);
  }
}

function newDispatcher(): Dispatcher {
  return new Agent({ connections: 16, keepAliveTimeout: 30_000, connect: { timeout: 5_000 } });
}

function newBlockingDispatcher(): Dispatcher {
  return new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 5_000 } });
}
