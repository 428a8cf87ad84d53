// Admin endpoints contributed by components (e.g. the cache's purge), kept apart from the
// admin server so plugins can add theirs without knowing it.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, rest: string) => void | Promise<void>;

interface Entry { readonly method: string; readonly prefix: string; readonly handler: AdminHandler }

export class AdminRoutes {
  #entries: Entry[] = [];

  /** Handles `method` for `prefix` and everything under it; returns the function that removes it. */
  register(method: string, prefix: string, handler: AdminHandler): () => void {
    const entry = { method, prefix, handler };
    this.#entries = [...this.#entries, entry];
    return () => { this.#entries = this.#entries.filter((e) => e !== entry); };
  }

  /** The handler and the rest of the path after its prefix, the longest prefix winning. */
  find(method: string, path: string): { handler: AdminHandler; rest: string } | undefined {
    let best: Entry | undefined;
    for (const e of this.#entries) {
      if (e.method !== method) continue;
      if (path !== e.prefix && !path.startsWith(`${e.prefix}/`)) continue;
      if (best === undefined || e.prefix.length > best.prefix.length) best = e;
    }
    return best ? { handler: best.handler, rest: path.slice(best.prefix.length + 1) } : undefined;
  }
}
