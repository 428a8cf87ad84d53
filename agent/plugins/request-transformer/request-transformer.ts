// Kong's `request-transformer` plugin. Per request, in Kong's order: replace.uri, http_method,
// headers, body (JSON objects and urlencoded forms), querystring; within each, remove → rename →
// replace → add → append. Everything is compiled at create(); a request that needs no body
// edit stays synchronous and streams its body.
// Deviations from Kong: rename of an absent name does nothing (Kong's query/body rename deletes
// the target); replace/add test presence, not Lua truthiness (false and null count as present);
// headers the proxy owns (X-Forwarded-*, X-Real-IP, hop-by-hop, Content-Length, the mesh ones)
// are never edited; values from headers/query in replace.uri are percent-encoded.
import {
  FORWARDED_CLIENT_CERT, FORWARDED_FOR, FORWARDED_HOST, FORWARDED_PORT, FORWARDED_PROTO, HOP_BY_HOP, MESH_DESTINATION, REAL_IP,
} from '../../../proto/headers.js';
import type { RequestContext } from '../context.js';
import type { PluginFactory, PluginInstance, ShortCircuit } from '../plugin.js';
import { kongError } from '../respond.js';
import { bodyKind, readBodyForEdit, replaceBody, transformBody } from './body.js';
import { headerFields, paramFields } from './field-maps.js';
import { applyVerbs, compileVerbs, isEmptyVerbs, type Verbs } from './pairs.js';
import { RequestTransformerConfig, validateRequestTransformer } from './schema.js';
import { Template, type TemplateEnv, type TemplateSource, type ValueEscape } from './template.js';
import { RequestTemplateEnv } from './template-env.js';

const PROXY_OWNED = new Set([
  ...HOP_BY_HOP, 'host', 'content-length', FORWARDED_FOR, FORWARDED_PROTO, FORWARDED_HOST, FORWARDED_PORT, REAL_IP,
  MESH_DESTINATION, FORWARDED_CLIENT_CERT,
]);
const proxyOwned = (name: string) => PROXY_OWNED.has(name.toLowerCase());

/** Methods after which Kong moves an urlencoded body's fields into the query string. */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);

/** What a header value may hold (query values are decoded and could carry CR/LF). */
const headerSafe = (v: string) => v.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

/** In a path, values from the client are one opaque segment; route captures are path text already. */
const pathEscape: ValueEscape = (v, source) => {
  if (source === 'uri_captures') return v;
  return /^\.{1,2}$/.test(v) ? v.replace(/\./g, '%2E') : encodeURIComponent(v);
};

/**
 * Kong's set_method. The context has no upstream method of its own: the forwarder sends
 * req.method, so that is what changes (ctx.method keeps the client's for other plugins).
 */
function setUpstreamMethod(ctx: RequestContext, method: string): void {
  ctx.req.method = method;
}

type Compiled = Record<'headers' | 'querystring' | 'body', Verbs<Template>>;

class RequestTransformerInstance implements PluginInstance {
  readonly name = 'request-transformer';
  readonly priority = 801;
  readonly #verbs: Compiled;
  readonly #uri: Template | null;
  readonly #method: string | null;
  readonly #sources: ReadonlySet<TemplateSource>;
  readonly #bodyVerbs: boolean;

  constructor(config: RequestTransformerConfig) {
    const compile = (target: keyof Compiled) => compileVerbs({
      remove: config.remove[target], rename: config.rename[target], replace: config.replace[target], add: config.add[target], append: config.append[target],
    }, (text) => Template.compile(text));
    this.#verbs = { headers: compile('headers'), querystring: compile('querystring'), body: compile('body') };
    this.#uri = config.replace.uri != null ? Template.compile(config.replace.uri) : null;
    this.#method = config.http_method ?? null;
    this.#bodyVerbs = !isEmptyVerbs(this.#verbs.body);
    const templates = [this.#uri, ...Object.values(this.#verbs).flatMap((v) => [...v.replace, ...v.add, ...v.append].map((e) => e.value))];
    this.#sources = new Set(templates.flatMap((t) => (t === null ? [] : [...t.sources])));
  }

  access(ctx: RequestContext): void | Promise<ShortCircuit | void> {
    const env = new RequestTemplateEnv(ctx, this.#sources);
    if (this.#uri !== null) {
      const path = this.#uri.render(env, pathEscape);
      ctx.upstreamPath = path.startsWith('/') ? path : `/${path}`;
    }
    const formToQuery = this.#method !== null && BODYLESS.has(this.#method) && bodyKind(ctx.header('content-type')) === 'form';
    if (this.#method !== null) setUpstreamMethod(ctx, this.#method);
    this.#headers(ctx, env);
    const kind = this.#bodyVerbs ? bodyKind(ctx.upstreamHeaders.get('content-type')) : null;
    if (!formToQuery && kind === null) { this.#query(ctx, env); return; }
    return this.#withBody(ctx, env, formToQuery, kind);
  }

  async #withBody(ctx: RequestContext, env: TemplateEnv, formToQuery: boolean, kind: ReturnType<typeof bodyKind>): Promise<ShortCircuit | void> {
    const body = await readBodyForEdit(ctx);
    if (body === 'too-large') return kongError(413, 'Request size limit exceeded', { Connection: 'close' });
    if (body !== null) {
      if (formToQuery) for (const [k, v] of new URLSearchParams(body.toString('utf8'))) ctx.queryParams.append(k, v);
      const edited = kind === null ? null : transformBody(kind, body, this.#verbs.body, env);
      if (edited !== null) replaceBody(ctx, edited);
    }
    this.#query(ctx, env);
  }

  #headers(ctx: RequestContext, env: TemplateEnv): void {
    const verbs = this.#verbs.headers;
    applyVerbs(verbs, headerFields(ctx.upstreamHeaders), (t) => headerSafe(t.render(env)), proxyOwned);
    // Kong lets replace (only) set the upstream Host
    for (const { name, value } of verbs.replace) {
      if (name.toLowerCase() === 'host') ctx.upstreamHeaders.set('host', headerSafe(value.render(env)));
    }
  }

  #query(ctx: RequestContext, env: TemplateEnv): void {
    const verbs = this.#verbs.querystring;
    if (!isEmptyVerbs(verbs)) applyVerbs(verbs, paramFields(ctx.queryParams), (t) => t.render(env));
  }
}

export const requestTransformerPlugin: PluginFactory<RequestTransformerConfig> = {
  name: 'request-transformer',
  priority: 801,
  configSchema: RequestTransformerConfig,
  validate: validateRequestTransformer,
  create(config) {
    return new RequestTransformerInstance(config);
  },
};
