// A gRPC-Web client for the tests, built by hand from the wire format (grpc/doc/PROTOCOL-WEB.md):
// length-prefixed frames (flag 0 a message, 0x80 the trailers block), base64 for the "-text"
// content types. Over HTTP/1.1 with undici, or over h2c with node:http2.
import http2 from 'node:http2';
import { request } from 'undici';

export interface WebAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** the body's message frames, in order */
  readonly messages: Buffer[];
  /** the trailers frame, parsed (names lowercase); null when the body had none */
  readonly trailers: Record<string, string> | null;
  /** the raw body as received */
  readonly raw: Buffer;
}

export function frame(flag: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(5 + payload.length);
  f[0] = flag;
  f.writeUInt32BE(payload.length, 1);
  payload.copy(f, 5);
  return f;
}

/** The request body for these messages; text mode pads each message's base64 on its own, as browsers' clients may. */
export function webBody(messages: readonly string[], text: boolean): Buffer {
  const frames = messages.map((m) => frame(0, Buffer.from(m)));
  return text ? Buffer.from(frames.map((f) => f.toString('base64')).join(''), 'latin1') : Buffer.concat(frames);
}

/** Splits a (decoded) gRPC-Web body into messages and the trailers frame. */
export function parseWebBody(body: Buffer): { messages: Buffer[]; trailers: Record<string, string> | null } {
  const messages: Buffer[] = [];
  let trailers: Record<string, string> | null = null;
  let at = 0;
  while (at + 5 <= body.length) {
    const flag = body[at]!;
    const len = body.readUInt32BE(at + 1);
    const payload = body.subarray(at + 5, at + 5 + len);
    at += 5 + len;
    if ((flag & 0x80) === 0) { messages.push(Buffer.from(payload)); continue; }
    trailers = {};
    for (const line of payload.toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
  }
  if (at !== body.length) throw new Error(`a truncated gRPC-Web body: ${body.length - at} bytes left over`);
  return { messages, trailers };
}

/** The answer; a body that is not gRPC-Web (a JSON error, a preflight's "OK") has no messages and no trailers. */
function answer(status: number, headers: WebAnswer['headers'], raw: Buffer, text: boolean): WebAnswer {
  const isWeb = String(headers['content-type'] ?? '').startsWith('application/grpc-web') && !(raw.length === 2 && raw.toString() === 'OK');
  if (!isWeb) return { status, headers, raw, messages: [], trailers: null };
  const decoded = text ? Buffer.from(raw.toString('latin1'), 'base64') : raw;
  return { status, headers, raw, ...parseWebBody(decoded) };
}

export interface WebCallOptions {
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  readonly method?: string;
}

const isText = (contentType: string): boolean => contentType.startsWith('application/grpc-web-text');

/** One gRPC-Web call over HTTP/1.1 (undici). */
export async function webCall(baseUrl: string, path: string, messages: readonly string[], opts: WebCallOptions = {}): Promise<WebAnswer> {
  const contentType = opts.contentType ?? 'application/grpc-web+proto';
  const text = isText(contentType);
  const res = await request(`${baseUrl}${path}`, {
    method: (opts.method ?? 'POST') as 'POST',
    headers: { 'content-type': contentType, 'x-grpc-web': '1', ...opts.headers },
    body: opts.method === 'OPTIONS' ? null : webBody(messages, text),
    headersTimeout: 20_000, bodyTimeout: 20_000,
  });
  const raw = Buffer.from(await res.body.arrayBuffer());
  return answer(res.statusCode, res.headers as WebAnswer['headers'], raw, text);
}

/** One gRPC-Web call over prior-knowledge h2c (node:http2). */
export function webCallH2(port: number, path: string, messages: readonly string[], opts: WebCallOptions = {}): Promise<WebAnswer> {
  const contentType = opts.contentType ?? 'application/grpc-web+proto';
  const text = isText(contentType);
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': contentType, 'x-grpc-web': '1', ...opts.headers });
    let status = 0;
    let headers: WebAnswer['headers'] = {};
    const chunks: Buffer[] = [];
    req.on('response', (h) => { status = Number(h[':status']); headers = h as WebAnswer['headers']; });
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('close', () => {
      session.close();
      try { resolve(answer(status, headers, Buffer.concat(chunks), text)); } catch (err) { reject(err); }
    });
    req.end(webBody(messages, text));
  });
}
