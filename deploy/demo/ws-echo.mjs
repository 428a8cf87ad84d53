// A WebSocket echo (RFC 6455) for the sample service, without dependencies: every data frame comes
// back with its opcode and FIN bit; pings get pongs; a close frame is answered with the same code.
// Text messages that are commands instead of echoes:
//   "headers"      → one text message: the handshake's request headers as JSON (what the proxies sent)
//   "close:CODE"   → the server closes with CODE (reason "bye")
// GET /ws/refuse with an Upgrade is answered 403 JSON (a declined upgrade, for proxies to relay).
import { createHash } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Handles node:http's `upgrade` event; `onHandshake` is told of each accepted or refused one. */
export function webSocketEcho(info, onHandshake = () => {}) {
  return (req, socket, head) => {
    onHandshake();
    const path = (req.url ?? '/').split('?')[0];
    const key = req.headers['sec-websocket-key'];
    if (path === '/ws/refuse' || !/websocket/i.test(req.headers.upgrade ?? '') || typeof key !== 'string') {
      const body = JSON.stringify({ message: 'upgrade refused', ...info });
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      return;
    }
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\nx-instance: ${info.instance}\r\n\r\n`);
    socket.on('error', () => socket.destroy());
    const frames = new FrameReader((fin, opcode, payload) => {
      if (opcode === 0x8) { send(socket, true, 0x8, payload); socket.end(); return; }
      if (opcode === 0x9) { send(socket, true, 0xa, payload); return; }
      if (opcode === 0xa) return;
      const text = opcode === 0x1 && fin && payload.length < 32 ? payload.toString() : '';
      if (text === 'headers') { send(socket, true, 0x1, Buffer.from(JSON.stringify(req.headers))); return; }
      if (text.startsWith('close:')) {
        const close = Buffer.alloc(5);
        close.writeUInt16BE(Number(text.slice(6)));
        close.write('bye', 2);
        send(socket, true, 0x8, close);
        socket.end();
        return;
      }
      if (!send(socket, fin, opcode, payload)) { socket.pause(); socket.once('drain', () => socket.resume()); }
    });
    socket.on('data', (c) => frames.push(c));
    if (head.length > 0) frames.push(head);
  };
}

/** One unmasked server frame; false when the socket asks the writer to wait. */
function send(socket, fin, opcode, payload) {
  const n = payload.length;
  const header = Buffer.alloc(n < 126 ? 2 : n < 65536 ? 4 : 10);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (n < 126) header[1] = n;
  else if (n < 65536) { header[1] = 126; header.writeUInt16BE(n, 2); }
  else { header[1] = 127; header.writeBigUInt64BE(BigInt(n), 2); }
  socket.write(header);
  return socket.write(payload);
}

/** Client frames (masked) out of a byte stream; chunks are joined only once a frame is complete. */
class FrameReader {
  #chunks = [];
  #size = 0;
  constructor(onFrame) { this.onFrame = onFrame; }

  push(chunk) {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    for (;;) {
      const first = this.#chunks[0];
      const peek = first.length >= 14 || this.#chunks.length === 1 ? first : Buffer.concat(this.#chunks);
      if (peek.length < 2) return;
      let len = peek[1] & 0x7f;
      let at = 2;
      if (len === 126) { if (peek.length < 4) return; len = peek.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (peek.length < 10) return; len = Number(peek.readBigUInt64BE(2)); at = 10; }
      const masked = (peek[1] & 0x80) !== 0;
      const total = at + (masked ? 4 : 0) + len;
      if (this.#size < total) return;
      const all = this.#chunks.length === 1 ? first : Buffer.concat(this.#chunks);
      const mask = masked ? all.subarray(at, at + 4) : null;
      const payload = Buffer.from(all.subarray(total - len, total));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
      const rest = all.subarray(total);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#size = rest.length;
      this.onFrame((peek[0] & 0x80) !== 0, peek[0] & 0x0f, payload);
      if (this.#size === 0) return;
    }
  }
}
