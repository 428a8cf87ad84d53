// gRPC-Web on the wire (grpc/doc/PROTOCOL-WEB.md), as the edge translates it to and from gRPC:
// which content types are gRPC-Web and whether they are base64 ("-text"), the base64 codecs that
// work across chunk boundaries (a text-mode client may pad every message, so '=' can come mid-stream),
// and the trailers frame (flag 0x80, a length, then "name:value\r\n" lines) that ends a response body.
import { Transform, type TransformCallback } from 'node:stream';
import type { OutgoingHttpHeaders } from 'node:http2';

/** How a gRPC-Web call is carried: the client's content type (answers carry it back) and base64 or not. */
export interface GrpcWebMode {
  readonly contentType: string;
  readonly text: boolean;
}

/** Kong's table of the protobuf-framed gRPC-Web types; the JSON ones need a .proto (not supported). */
const MODES: ReadonlyMap<string, GrpcWebMode> = new Map([
  ['application/grpc-web', { contentType: 'application/grpc-web', text: false }],
  ['application/grpc-web+proto', { contentType: 'application/grpc-web+proto', text: false }],
  ['application/grpc-web-text', { contentType: 'application/grpc-web-text', text: true }],
  ['application/grpc-web-text+proto', { contentType: 'application/grpc-web-text+proto', text: true }],
].map(([k, v]) => [k as string, Object.freeze(v as GrpcWebMode)]));

/** The mode of a request's content type (parameters such as "; charset" ignored), else undefined. */
export function grpcWebMode(contentType: string | undefined): GrpcWebMode | undefined {
  if (contentType === undefined) return undefined;
  const semi = contentType.indexOf(';');
  return MODES.get((semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase());
}

/** a content type gRPC-Web names but meshgate does not translate (JSON needs the service's .proto) */
export function isGrpcWebJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const t = contentType.split(';')[0]!.trim().toLowerCase();
  return t === 'application/grpc-web+json' || t === 'application/grpc-web-text+json';
}

/** The body frame that carries trailers: 0x80, a 4-byte big-endian length, "name:value\r\n" per value. */
export function trailersFrame(trailers: OutgoingHttpHeaders): Buffer {
  let block = '';
  for (const [name, v] of Object.entries(trailers)) {
    if (v === undefined || name.charCodeAt(0) === 58 /* ':' */) continue;
    if (Array.isArray(v)) for (const one of v) block += `${name.toLowerCase()}:${one}\r\n`;
    else block += `${name.toLowerCase()}:${String(v)}\r\n`;
  }
  const len = Buffer.byteLength(block, 'utf8');
  const frame = Buffer.allocUnsafe(5 + len);
  frame[0] = 0x80;
  frame.writeUInt32BE(len, 1);
  frame.write(block, 5, 'utf8');
  return frame;
}

/** Base64 over a stream of chunks: whole 3-byte groups go out at once, the rest waits for the next chunk or the end. */
export class Base64Encoder {
  #carry: Buffer | null = null;

  push(chunk: Buffer): string {
    const buf = this.#carry === null ? chunk : Buffer.concat([this.#carry, chunk]);
    const whole = buf.length - (buf.length % 3);
    this.#carry = whole === buf.length ? null : buf.subarray(whole);
    return whole === 0 ? '' : buf.toString('base64', 0, whole);
  }

  /** the carried bytes plus `tail`, padded: the end of the body */
  end(tail: Buffer): string {
    const buf = this.#carry === null ? tail : Buffer.concat([this.#carry, tail]);
    this.#carry = null;
    return buf.toString('base64');
  }
}

/**
 * Decodes base64 text as it streams. Complete 4-character groups are decoded at once; a group with
 * padding ends a segment, decoded on its own (Node's decoder stops at the first '='), so each message
 * a client padded separately decodes whole. Whitespace is skipped.
 */
export function decodeBase64Run(text: string): { bytes: Buffer; rest: string } {
  const s = /\s/.test(text) ? text.replace(/\s+/g, '') : text;
  const usable = s.length - (s.length % 4);
  const parts: Buffer[] = [];
  let start = 0;
  for (let eq = s.indexOf('=', start); eq !== -1 && eq < usable; eq = s.indexOf('=', start)) {
    const end = start + Math.ceil((eq - start + 1) / 4) * 4;
    parts.push(Buffer.from(s.slice(start, end), 'base64'));
    start = end;
  }
  if (start < usable) parts.push(Buffer.from(s.slice(start, usable), 'base64'));
  return { bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts), rest: s.slice(usable) };
}

/** The request body of a text-mode call, decoded on its way upstream. */
export class Base64DecodeStream extends Transform {
  #rest = '';

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const { bytes, rest } = decodeBase64Run(this.#rest + chunk.toString('latin1'));
    this.#rest = rest;
    cb(null, bytes.length === 0 ? undefined : bytes);
  }

  override _flush(cb: TransformCallback): void {
    // a truncated last group: what it holds (Node decodes a partial group as far as it goes)
    cb(null, this.#rest === '' ? undefined : Buffer.from(this.#rest, 'base64'));
  }
}
