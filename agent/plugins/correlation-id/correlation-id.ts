// Kong's `correlation-id` plugin: an incoming id is kept, a missing one is generated; either
// way it goes upstream, is noted for the access log (ctx.shared "correlation_id") and, with
// echo_downstream, is sent back on every answer, proxied or not.
import { Type, type Static } from '@sinclair/typebox';
import type { RequestContext } from '../context.js';
import { HEADER_NAME } from '../request-transformer/pairs.js';
import type { HeaderList, PluginFactory, PluginInstance } from '../plugin.js';
import { GENERATORS } from './generators.js';

const CorrelationIdConfig = Type.Object({
  header_name: Type.String({ default: 'Kong-Request-ID', pattern: HEADER_NAME.source }),
  generator: Type.Union([Type.Literal('uuid'), Type.Literal('uuid#counter'), Type.Literal('tracker')], { default: 'uuid#counter' }),
  echo_downstream: Type.Boolean({ default: false }),
}, { additionalProperties: false });

export type CorrelationIdConfig = Static<typeof CorrelationIdConfig>;

export const CORRELATION_ID = 'correlation_id';

class CorrelationIdInstance implements PluginInstance {
  readonly name = 'correlation-id';
  readonly priority = 100001;
  readonly #header: string;
  readonly #lower: string;
  readonly #generate: (ctx: RequestContext) => string;
  readonly #echo: boolean;

  constructor(config: CorrelationIdConfig) {
    this.#header = config.header_name;
    this.#lower = config.header_name.toLowerCase();
    const generator = GENERATORS[config.generator];
    this.#generate = (ctx) => generator(ctx.req);
    this.#echo = config.echo_downstream;
  }

  access(ctx: RequestContext): void {
    let id = ctx.header(this.#lower);
    if (id === undefined || id === '') id = this.#generate(ctx);
    // set even when kept: with header_name X-Request-ID the proxy has put its own id there
    ctx.upstreamHeaders.set(this.#header, id);
    ctx.shared.set(CORRELATION_ID, id);
    if (this.#echo) ctx.clientHeaders.set(this.#header, id);
  }

  /** Kong sets (not adds) the echoed header: an upstream that echoes it too must not double it. */
  responseHeaders(ctx: RequestContext, _status: number, headers: HeaderList): void {
    if (!this.#echo) return;
    const id = ctx.shared.get(CORRELATION_ID);
    if (typeof id === 'string' && headers.getAll(this.#header).length > 1) headers.set(this.#header, id);
  }
}

export const correlationIdPlugin: PluginFactory<CorrelationIdConfig> = {
  name: 'correlation-id',
  priority: 100001,
  configSchema: CorrelationIdConfig,
  create(config) {
    return new CorrelationIdInstance(config);
  },
};
