// An upstream that records what reached it, byte for byte: every connection's raw bytes and every
// request node:http parsed from them (raw header lines, target, version, body, trailers). It answers
// 200 "ok" with a Content-Length, or, for a path starting with /stream, a chunked body.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly rawHeaders: readonly string[];
  readonly body: string;
  readonly rawTrailers: readonly string[];
}

export interface RecordingUpstream {
  readonly port: number;
  readonly requests: Received[];
  /** all bytes every connection sent, in arrival order */
  raw(): string;
  close(): Promise<void>;
}

export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const requests: Received[] = [];
  const bytes: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '', url: req.url ?? '', httpVersion: req.httpVersion, rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks).toString('latin1'), rawTrailers: req.rawTrailers,
      });
      if ((req.url ?? '').startsWith('/stream')) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('one,');
        setTimeout(() => res.end('two'), 20);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('data', (c: Buffer) => bytes.push(c));
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    raw: () => Buffer.concat(bytes).toString('latin1'),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A header's values in a received request (case-insensitive name). */
export function headerValues(r: Received, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < r.rawHeaders.length; i += 2) if (r.rawHeaders[i]!.toLowerCase() === name) out.push(r.rawHeaders[i + 1]!);
  return out;
}
