// HTTP from the tests to the system under test: undici's request on a client owned by one
// harness (closed with it), and node:http for requests that fetch/undici refuse to send
// (hop-by-hop headers).
import http from 'node:http';
import { Agent, request, type Dispatcher } from 'undici';

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  /** Date.now() when the whole answer had arrived */
  readonly at: number;
  json<T = Record<string, unknown>>(): T;
}

export interface HttpOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer | Uint8Array | NodeJS.ReadableStream | AsyncIterable<Uint8Array>;
  readonly timeoutMs?: number;
}

/** What the sample service echoes back. */
export interface Echo {
  readonly service: string;
  readonly instance: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | undefined>;
  readonly bodyBytes: number;
}

export class HttpClient {
  readonly #agent: Dispatcher;

  constructor() {
    this.#agent = new Agent({ connections: 64, keepAliveTimeout: 2_000, keepAliveMaxTimeout: 2_000 });
  }

  async request(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
    const timeout = opts.timeoutMs ?? 30_000;
    const res = await request(url, {
      method: (opts.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: opts.headers,
      body: opts.body as Dispatcher.DispatchOptions['body'],
      dispatcher: this.#agent,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: AbortSignal.timeout(timeout + 1000),
    });
    const text = await res.body.text();
    return result(res.statusCode, res.headers as HttpResult['headers'], text);
  }

  get(url: string, opts: Omit<HttpOptions, 'method' | 'body'> = {}): Promise<HttpResult> {
    return this.request(url, { ...opts, method: 'GET' });
  }

  post(url: string, body?: HttpOptions['body'], opts: Omit<HttpOptions, 'method' | 'body'> = {}): Promise<HttpResult> {
    return this.request(url, { ...opts, method: 'POST', body: body ?? '' });
  }

  async json<T>(url: string): Promise<T> {
    const r = await this.get(url, { timeoutMs: 10_000 });
    if (r.status >= 400) throw new Error(`GET ${url}: HTTP ${r.status}: ${r.text.slice(0, 200)}`);
    return r.json<T>();
  }

  async close(): Promise<void> {
    await this.#agent.destroy();
  }
}

function result(status: number, headers: HttpResult['headers'], text: string): HttpResult {
  return {
    status, headers, text, at: Date.now(),
    json<T>() {
      try { return JSON.parse(text) as T; } catch { throw new Error(`HTTP ${status}: not JSON: ${text.slice(0, 300)}`); }
    },
  };
}

/**
 * One request with node:http and raw header lines exactly as given (no agent, no pooling), so
 * hop-by-hop headers such as Connection, Keep-Alive and TE go out as written.
 */
export function rawRequest(url: string, opts: { method?: string; headers: [string, string][]; body?: Buffer | string; timeoutMs?: number }): Promise<HttpResult> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    // with raw (array) headers node:http adds no Host header of its own
    const flat: string[] = opts.headers.some(([k]) => k.toLowerCase() === 'host') ? [] : ['Host', u.host];
    for (const [k, v] of opts.headers) flat.push(k, v);
    const req = http.request({
      host: u.hostname, port: Number(u.port), path: u.pathname + u.search, method: opts.method ?? 'GET',
      headers: flat, agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(result(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8'))));
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}
