// key-auth's `key_in_body`: the request body as a key/value bag (form-urlencoded or JSON), and
// the same body without the key for hide_credentials.
import { isBodyTimeout, type RequestContext } from '../context.js';

export type ParsedBody =
  | { readonly kind: 'form'; readonly params: URLSearchParams }
  | { readonly kind: 'json'; readonly value: Record<string, unknown> }
  | { readonly kind: 'none' };

const NONE: ParsedBody = Object.freeze({ kind: 'none' });

/** A unique marker for a key given more than once (Kong: "Duplicate API key found"). */
export const DUPLICATE = Symbol('duplicate');

/**
 * Reads and parses the client body. Like Kong, a body that cannot be read or parsed counts as
 * empty (the request then simply has no key in it); a body that stalls or trickles past the
 * listener's timeouts is the client's fault and is answered 408 (the error goes on). Multipart
 * bodies are not read.
 */
export async function readParsedBody(ctx: RequestContext): Promise<ParsedBody> {
  const type = (ctx.req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  const form = type === 'application/x-www-form-urlencoded';
  const json = type === 'application/json' || type.endsWith('+json');
  if (!form && !json) return NONE;
  let buf: Buffer;
  try { buf = await ctx.readBody(); } catch (err) { if (isBodyTimeout(err)) throw err; return NONE; }
  if (form) return { kind: 'form', params: new URLSearchParams(buf.toString('utf8')) };
  try {
    const value: unknown = JSON.parse(buf.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? { kind: 'json', value: value as Record<string, unknown> } : NONE;
  } catch {
    return NONE;
  }
}

/** The body's value for `name`: a string, DUPLICATE (repeated, or a JSON array/object), or undefined. */
export function bodyValue(body: ParsedBody, name: string): string | typeof DUPLICATE | undefined {
  if (body.kind === 'form') {
    const all = body.params.getAll(name);
    return all.length === 0 ? undefined : all.length === 1 ? all[0] : DUPLICATE;
  }
  if (body.kind === 'json') {
    const v = body.value[name];
    return typeof v === 'string' ? v : v !== null && typeof v === 'object' ? DUPLICATE : undefined;
  }
  return undefined;
}

/** Sends the body upstream without `name` (and a Content-Length that matches). */
export function removeFromBody(ctx: RequestContext, body: ParsedBody, name: string): void {
  let out: Buffer;
  if (body.kind === 'form' && body.params.has(name)) {
    body.params.delete(name);
    out = Buffer.from(body.params.toString());
  } else if (body.kind === 'json' && Object.hasOwn(body.value, name)) {
    delete body.value[name];
    out = Buffer.from(JSON.stringify(body.value));
  } else {
    return;
  }
  ctx.upstreamBody = out;
  ctx.upstreamHeaders.set('content-length', String(out.length));
}
