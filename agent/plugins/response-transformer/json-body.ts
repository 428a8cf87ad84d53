// The JSON side of response-transformer: which answers it touches, and the edit itself.
import type { HeaderList } from '../plugin.js';
import { isJsonObject, jsonFields } from '../request-transformer/field-maps.js';
import { applyVerbs, type Verbs } from '../request-transformer/pairs.js';
import type { JsonType } from './schema.js';

/** A json entry's value as configured, with its json_types type. */
export interface TypedValue {
  readonly text: string;
  readonly type: JsonType;
}

/** Kong's cast: numbers that do not parse drop the entry; a boolean is true only for "true". */
export function jsonValue(v: TypedValue): unknown {
  if (v.type === 'boolean') return v.text === 'true';
  if (v.type === 'number') {
    const n = Number(v.text);
    return v.text.trim() === '' || !Number.isFinite(n) ? undefined : n;
  }
  return v.text;
}

/** Kong's test: one of the listed media types is exactly application/json (parameters aside). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return contentType.split(',').some((t) => t.split(';')[0]!.trim().toLowerCase() === 'application/json');
}

/**
 * Whether this answer's body is one to edit: JSON, not encoded (we do not inflate), and with a
 * body at all (not HEAD, 204 or 304).
 */
export function isEditableJson(method: string, status: number, headers: HeaderList): boolean {
  if (method === 'HEAD' || status === 204 || status === 304) return false;
  const encoding = headers.get('content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') return false;
  return isJsonContentType(headers.get('content-type'));
}

/** The edited body, or the same buffer when it is not a JSON object (Kong leaves it as is). */
export function transformJson(body: Buffer, verbs: Verbs<TypedValue>): Buffer {
  let parsed: unknown;
  try { parsed = JSON.parse(body.toString('utf8')); } catch { return body; }
  if (!isJsonObject(parsed)) return body;
  return applyVerbs(verbs, jsonFields(parsed), jsonValue) ? Buffer.from(JSON.stringify(parsed)) : body;
}
