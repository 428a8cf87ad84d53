// Kong's `response-transformer` plugin: remove → rename → replace → add → append on response
// headers, and on the top-level keys of JSON bodies (buffered only when json verbs are set and
// the answer is JSON). Deviations from Kong: replace/add test key presence rather than Lua
// truthiness; compressed bodies are passed through untouched (Kong would fail to parse them
// too); hop-by-hop headers and Content-Length are never edited by config (the proxy owns them).
import { HOP_BY_HOP } from '../../../proto/headers.js';
import type { RequestContext } from '../context.js';
import type { HeaderList, PluginFactory, PluginInstance } from '../plugin.js';
import { headerFields } from '../request-transformer/field-maps.js';
import { applyVerbs, compileVerbs, isEmptyVerbs, type Verbs } from '../request-transformer/pairs.js';
import { isEditableJson, transformJson, type TypedValue } from './json-body.js';
import { ResponseTransformerConfig, validateResponseTransformer } from './schema.js';

const proxyOwned = (name: string) => {
  const lower = name.toLowerCase();
  return lower === 'content-length' || HOP_BY_HOP.has(lower);
};

function compileJson(config: ResponseTransformerConfig): Verbs<TypedValue> {
  return compileVerbs({
    remove: config.remove.json, rename: config.rename.json, replace: config.replace.json, add: config.add.json, append: config.append.json,
  }, (text, verb, i) => ({ text, type: config[verb].json_types[i] ?? 'string' })); // json_types line up by index, as in Kong
}

class ResponseTransformerInstance implements PluginInstance {
  readonly name = 'response-transformer';
  readonly priority = 800;
  readonly #headers: Verbs<string>;
  readonly #json: Verbs<TypedValue> | null;

  constructor(config: ResponseTransformerConfig) {
    this.#headers = compileVerbs({
      remove: config.remove.headers, rename: config.rename.headers, replace: config.replace.headers, add: config.add.headers, append: config.append.headers,
    }, (value) => value);
    const json = compileJson(config);
    this.#json = isEmptyVerbs(json) ? null : json;
  }

  responseHeaders(ctx: RequestContext, status: number, headers: HeaderList): void {
    applyVerbs(this.#headers, headerFields(headers), (v) => v, proxyOwned);
    // the body is about to change length; transformBody sets the new one
    if (this.wantsBody(ctx, status, headers)) headers.remove('content-length');
  }

  wantsBody(ctx: RequestContext, status: number, headers: HeaderList): boolean {
    return this.#json !== null && isEditableJson(ctx.method, status, headers);
  }

  transformBody(ctx: RequestContext, body: Buffer, headers: HeaderList): Buffer {
    if (this.#json === null || !isEditableJson(ctx.method, 200, headers)) return body;
    const out = transformJson(body, this.#json);
    headers.set('content-length', String(out.length));
    return out;
  }
}

export const responseTransformerPlugin: PluginFactory<ResponseTransformerConfig> = {
  name: 'response-transformer',
  priority: 800,
  configSchema: ResponseTransformerConfig,
  validate: validateResponseTransformer,
  create(config) {
    return new ResponseTransformerInstance(config);
  },
};
