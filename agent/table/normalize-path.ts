// Request path canonicalisation before routing (RFC 3986 §6.2.2, docs/http-strictness.md). The
// string this returns is what the router, every plugin (rate-limit, cache and ACL keys) and the
// upstream see: one reading of the path, so no back end can read another.
// - unreserved percent-escapes decoded, others upper-cased; `%XX` that is not hex → refused;
//   escaped bytes ≥ 0x80 must be well-formed UTF-8 (an overlong `%C0%AE` is a "." to some decoders:
//   the IIS/Tomcat traversal class) → else refused; so is `%00`.
// - dot segments removed (after decoding, so `%2e%2e` is ".."); a dot segment with parameters
//   (`..;x`, `.;`) is refused: Tomcat and Spring drop `;…` from a segment and read it as "..".
// - `//` merged (Envoy's merge_slashes; Envoy recommends it at the edge).
// - an encoded "/" or "\" (%2F, %5C): refused, kept, or decoded (Envoy's
//   path_with_escaped_slashes_action REJECT_REQUEST / KEEP_UNCHANGED / UNESCAPE_AND_FORWARD);
//   refused by default: routing on "/public%2F..%2Fadmin" would let it reach what "/admin" guards.
// - a literal "\" is refused (some servers read it as "/").

export type EscapedSlashAction = 'reject' | 'keep' | 'unescape';

export interface PathPolicy {
  readonly mergeSlashes: boolean;
  readonly escapedSlashes: EscapedSlashAction;
  /** refuse every `;` (path parameters); otherwise only dot segments that carry them */
  readonly rejectSemicolons: boolean;
}

/** the edge's defaults (edge.http): Envoy's recommended edge settings */
export const EDGE_PATH_POLICY: PathPolicy = Object.freeze({ mergeSlashes: true, escapedSlashes: 'reject', rejectSemicolons: false });
/** a sidecar's local upstream ports: the local app's paths as they are, bar what is unsafe to route on */
export const LOCAL_PATH_POLICY: PathPolicy = Object.freeze({ mergeSlashes: false, escapedSlashes: 'reject', rejectSemicolons: false });

/** the canonical path, or null when the path must be refused with 400 (MG_BAD_PATH) */
export type PathNormalizer = (path: string) => string | null;

/** 1 for the ASCII bytes RFC 3986 calls unreserved (decoded when escaped) */
const UNRESERVED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~') UNRESERVED[c.charCodeAt(0)] = 1;

/** Compiled once per policy: the fast-path test and the decoders are fixed here, not per request. */
export function compilePathNormalizer(policy: PathPolicy): PathNormalizer {
  // a path without any of these is already canonical: returned as the very same string
  const needsWork = policy.mergeSlashes ? /[%\\;]|\/\.|\/\// : /[%\\;]|\/\./;
  const slash = policy.escapedSlashes;
  return (path) => {
    if (path.charCodeAt(0) !== 47 /* / */) return null;
    if (!needsWork.test(path)) return path;
    if (path.includes('\\')) return null;
    if (policy.rejectSemicolons && path.includes(';')) return null;
    const decoded = path.includes('%') ? decodeEscapes(path, slash) : path;
    if (decoded === null) return null;
    return removeDotSegments(decoded, policy.mergeSlashes);
  };
}

/** The edge's default normalizer (also what the admin explain endpoint reports). */
export const normalizePath: PathNormalizer = compilePathNormalizer(EDGE_PATH_POLICY);

/** the value of a hex digit's char code, or -1 */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** the byte `%XX` at i encodes, or -1 when XX is not two hex digits */
function escapedByte(path: string, i: number): number {
  const hi = hexValue(path.charCodeAt(i + 1));
  const lo = hexValue(path.charCodeAt(i + 2));
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

const HEX = '0123456789ABCDEF';
const upperEscape = (byte: number) => `%${HEX[byte >> 4]}${HEX[byte & 15]}`;

function decodeEscapes(path: string, slash: EscapedSlashAction): string | null {
  let out = '';
  let from = 0;
  for (let i = path.indexOf('%'); i >= 0; i = path.indexOf('%', i)) {
    out += path.slice(from, i);
    const byte = escapedByte(path, i);
    // %00: C-string back ends end the path there ("/admin%00.png" is "/admin" to them); nginx refuses it too
    if (byte <= 0) return null;
    if (byte >= 0x80) {
      const end = utf8Run(path, i);
      if (end < 0) return null;
      out += path.slice(i, end).toUpperCase();
      from = i = end;
      continue;
    }
    if (byte === 0x2f || byte === 0x5c) {
      if (slash === 'reject') return null;
      out += slash === 'unescape' ? '/' : upperEscape(byte);
    } else if (UNRESERVED[byte] === 1) out += String.fromCharCode(byte);
    else out += upperEscape(byte);
    from = i = i + 3;
  }
  return out + path.slice(from);
}

/**
 * From `start` (a `%XX` with XX ≥ 80): the end of the run of escaped UTF-8 sequences, or -1 when a
 * sequence is not well-formed UTF-8 (RFC 3629 §4: no overlong forms, no surrogates, nothing past U+10FFFF).
 */
function utf8Run(path: string, start: number): number {
  let i = start;
  while (path.charCodeAt(i) === 37 /* % */) {
    const lead = escapedByte(path, i);
    if (lead < 0) return -1;
    if (lead < 0x80) return i;
    let more: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) more = 1;
    else if (lead >= 0xe0 && lead <= 0xef) { more = 2; if (lead === 0xe0) lo = 0xa0; else if (lead === 0xed) hi = 0x9f; }
    else if (lead >= 0xf0 && lead <= 0xf4) { more = 3; if (lead === 0xf0) lo = 0x90; else if (lead === 0xf4) hi = 0x8f; }
    else return -1;
    i += 3;
    for (let k = 0; k < more; k++, i += 3, lo = 0x80, hi = 0xbf) {
      if (path.charCodeAt(i) !== 37) return -1;
      const b = escapedByte(path, i);
      if (b < lo || b > hi) return -1;
    }
  }
  return i;
}

function isDotSegment(s: string): boolean {
  const semi = s.indexOf(';');
  const name = semi < 0 ? s : s.slice(0, semi);
  return name === '.' || name === '..';
}

function removeDotSegments(path: string, mergeSlashes: boolean): string | null {
  const out: string[] = [];
  const segments = path.split('/');
  const last = segments.length - 1;
  for (let i = 1; i <= last; i++) {
    const s = segments[i]!;
    if (s === '' && mergeSlashes && i !== last) continue;
    if (s === '.') { if (i === last) out.push(''); continue; }
    if (s === '..') { out.pop(); if (i === last) out.push(''); continue; }
    if (s.includes(';') && isDotSegment(s)) return null;
    out.push(s);
  }
  return `/${out.join('/')}`;
}
