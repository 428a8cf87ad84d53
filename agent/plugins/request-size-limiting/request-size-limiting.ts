// Kong's `request-size-limiting` plugin. A declared Content-Length is checked before any body
// byte is read: over the limit → 413 (417 when the client waits on `Expect: 100-continue`).
// A chunked body (or an HTTP/2 body without content-length) has no length to check, so it is
// read into memory up to the limit and forwarded from there (readBodyWithin). Trade-off: such
// bodies no longer stream, and each costs up to the limit in memory while it is read;
// require_content_length turns them away up front with 411 instead. Refusals carry Connection:
// close; the edge turns that into a bounded lingering drain of the unread body
// (proxy/local-answers.ts lingerOnUnreadBody) so the client reads them.
// Deviation from Kong: a request with neither Content-Length nor Transfer-Encoding has no body
// (RFC 9112 §6.3), so require_content_length does not refuse it.
import { Type, type Static } from '@sinclair/typebox';
import type { RequestContext } from '../context.js';
import type { PluginFactory, PluginInstance, ShortCircuit } from '../plugin.js';
import { kongError } from '../respond.js';
import { readBodyWithin } from './body-limit.js';
import { hasUndeclaredLength } from '../../proxy/request-body.js';

const UNIT_BYTES = { bytes: 1, kilobytes: 1024, megabytes: 1024 * 1024 } as const;

const RequestSizeLimitingConfig = Type.Object({
  allowed_payload_size: Type.Integer({ minimum: 0, default: 128 }),
  size_unit: Type.Union([Type.Literal('bytes'), Type.Literal('kilobytes'), Type.Literal('megabytes')], { default: 'megabytes' }),
  require_content_length: Type.Boolean({ default: false }),
}, { additionalProperties: false });

export type RequestSizeLimitingConfig = Static<typeof RequestSizeLimitingConfig>;

const MESSAGE = 'Request size limit exceeded';

function tooLarge(ctx: RequestContext): ShortCircuit {
  const expect = ctx.header('expect');
  return kongError(expect !== undefined && expect.trim().toLowerCase() === '100-continue' ? 417 : 413, MESSAGE, { Connection: 'close' });
}

class RequestSizeLimitingInstance implements PluginInstance {
  readonly name = 'request-size-limiting';
  readonly priority = 951;
  readonly #limitBytes: number;
  readonly #requireLength: boolean;

  constructor(config: RequestSizeLimitingConfig) {
    this.#limitBytes = config.allowed_payload_size * UNIT_BYTES[config.size_unit];
    this.#requireLength = config.require_content_length;
  }

  access(ctx: RequestContext): ShortCircuit | undefined | Promise<ShortCircuit | undefined> {
    // Node's parser has already refused a malformed or conflicting Content-Length
    const declared = ctx.header('content-length');
    if (declared !== undefined) return Number(declared) > this.#limitBytes ? tooLarge(ctx) : undefined;
    if (!hasUndeclaredLength(ctx.req)) return undefined;
    if (this.#requireLength) return kongError(411, 'A valid Content-Length header is required', { Connection: 'close' });
    // a body another plugin already read comes back whole, whatever the limit: it is measured too
    return readBodyWithin(ctx, this.#limitBytes).then((body) => (body === null ? tooLarge(ctx) : undefined));
  }
}

export const requestSizeLimitingPlugin: PluginFactory<RequestSizeLimitingConfig> = {
  name: 'request-size-limiting',
  priority: 951,
  configSchema: RequestSizeLimitingConfig,
  create(config) {
    return new RequestSizeLimitingInstance(config);
  },
};
