// The HEADERS of an HTTP/2 answer from the pipeline's HTTP/1.1-shaped head, in one pass: names
// lower-cased (HTTP/2 field names are lower case), connection-specific fields dropped (RFC 9113
// §8.2.2: a relayed `connection`, the 426's `upgrade`), a repeated name kept as a list (set-cookie),
// and the headers set before the answer was known (setHeader: the trace id, the request-debug
// report) added unless the answer names them itself, as writeHead does for HTTP/1.1.
import type { OutgoingHttpHeaders } from 'node:http2';

/** connection-specific headers: a response carrying one is malformed in HTTP/2 */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/** headers: flat [name, value, ...] (what the forwarder relays) or an object; preset: setHeader's (lower-case names) */
export function h2ResponseHead(status: number, headers: unknown, preset: OutgoingHttpHeaders | null): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':status': status };
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) add(out, String(headers[i]).toLowerCase(), headers[i + 1]);
  } else if (headers !== undefined && headers !== null && typeof headers === 'object') {
    for (const name of Object.keys(headers)) add(out, name.toLowerCase(), (headers as Record<string, unknown>)[name]);
  }
  if (preset !== null) for (const name of Object.keys(preset)) if (out[name] === undefined && preset[name] !== undefined) out[name] = preset[name];
  return out;
}

function add(out: OutgoingHttpHeaders, name: string, value: unknown): void {
  if (value === undefined || CONNECTION_SPECIFIC.has(name)) return;
  const prev = out[name];
  if (prev === undefined) out[name] = value as string;
  else if (Array.isArray(prev)) { if (Array.isArray(value)) prev.push(...value.map(String)); else prev.push(String(value)); }
  else out[name] = [String(prev), ...(Array.isArray(value) ? value.map(String) : [String(value)])];
}
