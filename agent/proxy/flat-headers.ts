// Edits of a flat [name, value, ...] header array (what undici and writeHead take), shared by the
// forwarder, local answers and the plugins' FlatHeaderList.

/** Removes every `lower` field in place; only names of its length are lower-cased. */
export function removeHeader(flat: string[], lower: string): void {
  let w = 0;
  for (let r = 0; r < flat.length; r += 2) {
    const n = flat[r]!;
    if (n.length === lower.length && n.toLowerCase() === lower) continue;
    if (w !== r) { flat[w] = n; flat[w + 1] = flat[r + 1]!; }
    w += 2;
  }
  // setting length is a runtime call even when nothing changes
  if (w !== flat.length) flat.length = w;
}

/** Replaces the body framing with a Content-Length (a body we hold whole). */
export function setContentLength(flat: string[], length: number): void {
  removeHeader(flat, 'content-length');
  removeHeader(flat, 'transfer-encoding');
  flat.push('content-length', String(length));
}
