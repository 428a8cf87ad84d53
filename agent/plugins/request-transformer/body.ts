// Request bodies the transformer edits: JSON objects and urlencoded forms, read whole. Anything
// else (multipart, text, a JSON array, JSON that does not parse) is sent on untouched.
import type { RequestContext } from '../context.js';
import { readBodyWithin } from '../request-size-limiting/body-limit.js';
import { isJsonObject, jsonFields, paramFields } from './field-maps.js';
import { applyVerbs, type Verbs } from './pairs.js';
import type { Template, TemplateEnv } from './template.js';

/**
 * Bodies are buffered to be edited; above this they stream through unedited (declared length)
 * or are refused with 413 (a chunked body that outgrows it).
 */
export const MAX_TRANSFORM_BODY_BYTES = 8 * 1024 * 1024;

export type BodyKind = 'json' | 'form';

/** Kong's detection: a substring of the content type. (multipart is not supported.) */
export function bodyKind(contentType: string | undefined): BodyKind | null {
  if (contentType === undefined) return null;
  const ct = contentType.toLowerCase();
  if (ct.includes('application/json')) return 'json';
  if (ct.includes('application/x-www-form-urlencoded')) return 'form';
  return null;
}

/**
 * The whole client body; null when its declared length is over the limit (it streams on
 * unedited); 'too-large' when a chunked body outgrows the limit while being read.
 */
export async function readBodyForEdit(ctx: RequestContext): Promise<Buffer | null | 'too-large'> {
  const declared = ctx.header('content-length');
  if (declared !== undefined) {
    if (!ctx.bodyWasRead && Number(declared) > MAX_TRANSFORM_BODY_BYTES) return null;
    // another plugin may have read it with a larger limit
    const body = await ctx.readBody(MAX_TRANSFORM_BODY_BYTES);
    return body.length > MAX_TRANSFORM_BODY_BYTES ? null : body;
  }
  return (await readBodyWithin(ctx, MAX_TRANSFORM_BODY_BYTES)) ?? 'too-large';
}

/** The edited body, or null when nothing changed or the body is not one we edit. */
export function transformBody(kind: BodyKind, body: Buffer, verbs: Verbs<Template>, env: TemplateEnv): Buffer | null {
  const render = (t: Template) => t.render(env);
  if (kind === 'form') {
    const form = new URLSearchParams(body.toString('utf8'));
    return applyVerbs(verbs, paramFields(form), render) ? Buffer.from(form.toString()) : null;
  }
  let parsed: unknown = {};
  if (body.length > 0) {
    try { parsed = JSON.parse(body.toString('utf8')); } catch { return null; }
  }
  if (!isJsonObject(parsed)) return null;
  return applyVerbs(verbs, jsonFields(parsed), render) ? Buffer.from(JSON.stringify(parsed)) : null;
}

/** Sets the new body and the Content-Length that goes with it. */
export function replaceBody(ctx: RequestContext, body: Buffer): void {
  ctx.upstreamBody = body;
  ctx.upstreamHeaders.set('content-length', String(body.length));
}
