// Admin endpoints contributed by components (the explain report, the cache's purge), kept apart
// from the admin server so plugins can add theirs without knowing it. A handler takes plain data
// and returns plain data, so a primary with workers can have a worker answer over IPC.

/** one admin request: no handler reads a body */
export interface AdminCall {
  readonly method: string;
  /** path and query, as the client sent them */
  readonly url: string;
}

/** an answer: JSON `body`, or an empty one when undefined */
export interface AdminReply {
  readonly status: number;
  readonly body?: unknown;
}

export type AdminHandler = (call: AdminCall, rest: string) => AdminReply | Promise<AdminReply>;

/**
 * How a primary with workers answers an endpoint: `one` worker (what any worker would say: the
 * explain report), or `every` worker, the answers joined by a joiner named here (the workers'
 * admin relay holds them): `found` for an action or lookup each worker does on its own state (a
 * purge), `cache-stats` for the cache's store listing (sizes added up).
 */
export type AdminSpread = { readonly across: 'one' } | { readonly across: 'every'; readonly join: 'found' | 'cache-stats' };

/** what `answer` gives: the reply, and how a primary with workers would gather it */
export interface AdminAnswer {
  readonly reply: AdminReply;
  readonly spread: AdminSpread;
}

/** one spread for the endpoint, or one by the rest of the path (`/cache` lists, `/cache/<key>` looks up) */
type SpreadOf = AdminSpread | ((rest: string) => AdminSpread);

interface Entry { readonly method: string; readonly prefix: string; readonly handler: AdminHandler; readonly spread: SpreadOf }

const ONE: AdminSpread = { across: 'one' };

/** no endpoint for this method and path: as the admin server's own (405 for a write, else 404) */
export function noAdminRoute(method: string): AdminReply {
  return method === 'GET' || method === 'HEAD' ? { status: 404, body: { message: 'Not found' } } : { status: 405, body: { message: 'Method not allowed' } };
}

export function adminPath(url: string): string {
  return url.split('?')[0] ?? '/';
}

export class AdminRoutes {
  #entries: Entry[] = [];

  /** Handles `method` for `prefix` and everything under it; returns the function that removes it. */
  register(method: string, prefix: string, handler: AdminHandler, spread: SpreadOf = ONE): () => void {
    const entry = { method, prefix, handler, spread };
    this.#entries = [...this.#entries, entry];
    return () => { this.#entries = this.#entries.filter((e) => e !== entry); };
  }

  /** The entry and the rest of the path after its prefix, the longest prefix winning. */
  #find(method: string, path: string): { entry: Entry; rest: string } | undefined {
    let best: Entry | undefined;
    for (const e of this.#entries) {
      if (e.method !== method) continue;
      if (path !== e.prefix && !path.startsWith(`${e.prefix}/`)) continue;
      if (best === undefined || e.prefix.length > best.prefix.length) best = e;
    }
    return best ? { entry: best, rest: path.slice(best.prefix.length + 1) } : undefined;
  }

  /** The answer of the endpoint for this call (noAdminRoute's when there is none). */
  async answer(call: AdminCall): Promise<AdminAnswer> {
    const found = this.#find(call.method, adminPath(call.url));
    if (found === undefined) return { reply: noAdminRoute(call.method), spread: ONE };
    let rest: string;
    try { rest = decodeURIComponent(found.rest); } catch { return { reply: { status: 400, body: { message: 'the path is not valid percent-encoding' } }, spread: ONE }; }
    const spread = typeof found.entry.spread === 'function' ? found.entry.spread(rest) : found.entry.spread;
    return { reply: await found.entry.handler(call, rest), spread };
  }

  async reply(call: AdminCall): Promise<AdminReply> {
    return (await this.answer(call)).reply;
  }
}
