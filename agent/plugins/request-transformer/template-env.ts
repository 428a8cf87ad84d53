// What request-transformer templates read: the request as it reached this plugin (headers as
// earlier plugins left them, e.g. X-Consumer-Username; the client's Host), taken before the
// plugin's own edits so that every template of one request sees the same values.
import type { RequestContext } from '../context.js';
import { FlatHeaderList } from '../header-list.js';
import type { TemplateEnv, TemplateSource } from './template.js';

export class RequestTemplateEnv implements TemplateEnv {
  readonly #ctx: RequestContext;
  readonly #headers: FlatHeaderList | null;
  readonly #query: URLSearchParams | null;

  constructor(ctx: RequestContext, sources: ReadonlySet<TemplateSource>) {
    this.#ctx = ctx;
    this.#headers = sources.has('headers') ? new FlatHeaderList([...ctx.upstreamHeaders.flat]) : null;
    this.#query = sources.has('query_params') ? new URLSearchParams(ctx.query) : null;
  }

  lookup(source: TemplateSource, key: string): string | undefined {
    switch (source) {
      case 'headers': {
        if (key === 'host') return this.#ctx.header('host');
        const values = this.#headers?.getAll(key) ?? [];
        return values.length > 0 ? values.join(', ') : undefined;
      }
      case 'query_params':
        return this.#query?.get(key) ?? undefined;
      case 'uri_captures':
        return Object.hasOwn(this.#ctx.captures, key) ? this.#ctx.captures[key] : undefined;
      case 'shared': {
        const v = this.#ctx.shared.get(key);
        return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
      }
    }
  }
}
