// Raw HTTP/2 frames on a TLS socket (ALPN h2), for tests that need what no well-behaved client
// sends: rapid resets, CONTINUATION floods, malformed frames. HPACK: indexed static-table fields
// and literals without indexing, no Huffman (RFC 7541 §6).
import tls from 'node:tls';

export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 0x1, END_HEADERS: 0x4 } as const;
export const H2_ERROR = { PROTOCOL_ERROR: 0x1, CANCEL: 0x8, COMPRESSION_ERROR: 0x9, ENHANCE_YOUR_CALM: 0xb } as const;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

function hpackInt(value: number, prefixBits: number, firstByte: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByte | value]);
  const out = [firstByte | max];
  let v = value - max;
  while (v >= 128) { out.push((v & 0x7f) | 0x80); v >>= 7; }
  out.push(v);
  return Buffer.from(out);
}

/** a literal header field without indexing, new name (RFC 7541 §6.2.2) */
export function literal(name: string, value: string): Buffer {
  return Buffer.concat([Buffer.from([0x00]), hpackInt(name.length, 7, 0), Buffer.from(name), hpackInt(Buffer.byteLength(value), 7, 0), Buffer.from(value)]);
}

/** GET / for `authority` over https: :method GET, :scheme https, :path / indexed; :authority literal */
export function getBlock(authority: string, path = '/'): Buffer {
  const pathField = path === '/' ? Buffer.from([0x84]) : Buffer.concat([Buffer.from([0x04]), hpackInt(path.length, 7, 0), Buffer.from(path)]);
  return Buffer.concat([Buffer.from([0x82, 0x87]), pathField, Buffer.from([0x01]), hpackInt(authority.length, 7, 0), Buffer.from(authority)]);
}

export interface SeenFrame { readonly type: number; readonly flags: number; readonly stream: number; readonly payload: Buffer }

export interface RawH2 {
  readonly socket: tls.TLSSocket;
  readonly frames: SeenFrame[];
  readonly closed: Promise<void>;
  send(...frames: Buffer[]): boolean;
  /** the first GOAWAY's error code, once one arrived */
  goawayCode(): number | undefined;
}

/** A TLS connection that negotiated h2, with the preface and an empty SETTINGS sent. */
export function connectRawH2(port: number, servername: string, ca: string): Promise<RawH2> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols: ['h2'] });
    const frames: SeenFrame[] = [];
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        frames.push({ type: buf[3]!, flags: buf[4]!, stream: buf.readUInt32BE(5) & 0x7fffffff, payload: buf.subarray(9, 9 + len) });
        buf = buf.subarray(9 + len);
      }
    });
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.on('error', () => { /* a reset after GOAWAY is expected */ });
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') { socket.destroy(); reject(new Error(`ALPN ${String(socket.alpnProtocol)}`)); return; }
      socket.write(Buffer.concat([PREFACE, frame(FRAME.SETTINGS, 0, 0)]));
      resolve({
        socket, frames, closed,
        send: (...f) => (socket.destroyed ? false : socket.write(Buffer.concat(f))),
        goawayCode: () => { const g = frames.find((f) => f.type === FRAME.GOAWAY); return g?.payload.readUInt32BE(4); },
      });
    });
    socket.once('error', reject);
  });
}
