// Request path normalization before routing (RFC 3986 §6.2.2): unreserved percent-escapes
// decoded, dot segments removed. An encoded "/" or "\" is refused: routing on it would let
// "/public%2F..%2Fadmin" reach what "/admin" guards.

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** Returns the normalized path, or null when the path must be refused with 400. */
export function normalizePath(path: string): string | null {
  if (path.charCodeAt(0) !== 47 /* / */) return null;
  // fast path: nothing to normalize
  if (!path.includes('%') && !path.includes('/.') && !path.includes('\\')) return path;
  if (path.includes('\\')) return null;
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c !== '%') { decoded += c; continue; }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    const ch = String.fromCharCode(parseInt(hex, 16));
    if (ch === '/' || ch === '\\') return null;
    if (UNRESERVED.test(ch)) decoded += ch;
    else decoded += `%${hex.toUpperCase()}`;
    i += 2;
  }
  return removeDotSegments(decoded);
}

function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '.') { if (i === segments.length - 1) out.push(''); continue; }
    if (s === '..') { out.pop(); if (i === segments.length - 1) out.push(''); continue; }
    out.push(s);
  }
  return `/${out.join('/')}`;
}
