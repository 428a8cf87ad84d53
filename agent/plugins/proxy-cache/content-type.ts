// content_type matching. Kong before 3.1 compared the whole Content-Type string, so
// "application/json; charset=utf-8" missed an "application/json" entry; like Kong 3.1+ we compare
// type and subtype (case-insensitive, "*" as a wildcard) and ignore the response's parameters
// (charset …) unless the configured entry lists parameters, which must then all be present.

export interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  /** lower-case names and values */
  readonly params: readonly (readonly [string, string])[];
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** "type/subtype; p=v" → parts, or null when it is not a media type. */
export function parseMediaRange(value: string): MediaRange | null {
  const [essence = '', ...rest] = value.split(';');
  const slash = essence.indexOf('/');
  if (slash < 0) return null;
  const type = essence.slice(0, slash).trim().toLowerCase();
  const subtype = essence.slice(slash + 1).trim().toLowerCase();
  if (!TOKEN.test(type) || !TOKEN.test(subtype)) return null;
  const params: [string, string][] = [];
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    if (name !== '') params.push([name, v.toLowerCase()]);
  }
  return { type, subtype, params };
}

function matches(range: MediaRange, actual: MediaRange): boolean {
  if (range.type !== '*' && range.type !== actual.type) return false;
  if (range.subtype !== '*' && range.subtype !== actual.subtype) return false;
  return range.params.every(([n, v]) => actual.params.some(([an, av]) => an === n && av === v));
}

/** Whether a response Content-Type is one of the configured ones; no Content-Type never is. */
export function contentTypeAllowed(ranges: readonly MediaRange[], contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const actual = parseMediaRange(contentType);
  return actual !== null && ranges.some((r) => matches(r, actual));
}
