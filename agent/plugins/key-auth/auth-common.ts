// What Kong's authentication plugins (key-auth, jwt) share: the preflight skip, reading repeated
// client headers, and the `anonymous` fallback ("logical OR" between auth plugins).
// Kept here rather than in agent/plugins/ only because this folder is owned by the auth work;
// it has no key-auth specifics and can move up as it is.
import type { InboundRequest } from '../../pipeline/transport.js';
import type { Logger } from 'pino';
import type { RequestContext } from '../context.js';
import { authenticate, type Consumer, type ConsumerIndex } from '../consumers.js';
import type { AccessResult, ShortCircuit } from '../plugin.js';
import { kongError } from '../respond.js';

/**
 * A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. Kong skips every
 * OPTIONS when run_on_preflight is false; a bare OPTIONS is not a preflight, so it still
 * authenticates here.
 */
export function isPreflight(ctx: RequestContext): boolean {
  return ctx.method === 'OPTIONS' && ctx.req.headers.origin !== undefined
    && ctx.req.headers['access-control-request-method'] !== undefined;
}

/**
 * Every value the client sent for a header, in order (Node joins or drops repeats in
 * req.headers, so a duplicate credential is only visible in rawHeaders). `lowerName` is lower-case.
 */
export function clientHeaderValues(req: InboundRequest, lowerName: string): string[] {
  const raw = req.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const n = raw[i]!;
    if (n.length === lowerName.length && n.toLowerCase() === lowerName) out.push(raw[i + 1]!);
  }
  return out;
}

/**
 * Kong's `anonymous`: resolved once when the plugin is created. When set, a failed login
 * becomes the anonymous consumer (X-Anonymous-Consumer: true) instead of the 401, and a request
 * some earlier auth plugin already authenticated is left alone.
 */
export class AnonymousFallback {
  readonly #ref: string | null;
  readonly #consumer: Consumer | undefined;

  constructor(ref: string | null | undefined, consumers: ConsumerIndex, log: Logger) {
    this.#ref = ref ?? null;
    this.#consumer = this.#ref === null ? undefined : consumers.find(this.#ref);
    // Kong answers 500 at request time for a dangling reference; say it once at load too.
    if (this.#ref !== null && this.#consumer === undefined) log.error({ anonymous: this.#ref }, 'anonymous consumer is configured but does not exist');
  }

  get enabled(): boolean {
    return this.#ref !== null;
  }

  /** With `anonymous` set, an already authenticated request skips this plugin (logical OR). */
  skips(ctx: RequestContext): boolean {
    return this.#ref !== null && ctx.credential !== null;
  }

  /** The answer to a failed login: the failure itself, or the anonymous consumer. */
  fail(ctx: RequestContext, failure: ShortCircuit): AccessResult {
    if (this.#ref === null) return failure;
    if (this.#consumer === undefined) return kongError(500, `anonymous consumer ${this.#ref} is configured but doesn't exist`);
    authenticate(ctx, this.#consumer, null, true);
    return undefined;
  }
}
