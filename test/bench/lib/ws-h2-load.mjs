#!/usr/bin/env node
// WebSocket echo load over HTTP/2 (RFC 8441 extended CONNECT, prior-knowledge h2c): `connections`
// HTTP/2 connections with one WebSocket stream each (as ws-load.mjs has one TCP connection per
// WebSocket), each keeping `window` messages of `size` bytes in flight and sending the next as each
// echo arrives, for durationS after 1 s of warm-up. Frames are written masked and read by hand.
// Prints one JSON line like ws-load.mjs. Bounded: it exits after the run.
//   node ws-h2-load.mjs http://HOST:PORT/PATH CONNECTIONS DURATION_S [SIZE] [WINDOW]
import { randomBytes } from 'node:crypto';
import http2 from 'node:http2';

const [url, conns = '50', dur = '5', size = '64', win = '4'] = process.argv.slice(2);
const target = new URL(url);
const connections = Number(conns);
const durationMs = Number(dur) * 1000;
const window = Number(win);
const WARMUP_MS = 1000;

/** one masked text frame of `size` bytes, made once (the mask need not change for a benchmark) */
function frame(n) {
  const head = n < 126 ? Buffer.from([0x81, 0x80 | n]) : Buffer.from([0x81, 0x80 | 126, n >> 8, n & 0xff]);
  const mask = randomBytes(4);
  const body = Buffer.alloc(n);
  for (let i = 0; i < n; i++) body[i] = 0x61 ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}
const message = frame(Number(size));

let counting = false;
let echoed = 0;
let errors = 0;
const sessions = [];

function open() {
  return new Promise((resolve) => {
    const session = http2.connect(target.origin);
    session.on('error', () => { errors++; resolve(null); });
    session.once('remoteSettings', () => {
      const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':path': target.pathname, 'sec-websocket-version': '13' });
      stream.on('error', () => { errors++; resolve(null); });
      stream.once('response', (h) => {
        if (h[':status'] !== 200) { errors++; resolve(null); return; }
        for (let i = 0; i < window; i++) stream.write(message);
        resolve(session);
      });
      // server frames are unmasked: 2 header bytes (+2 for 126..65535) and the payload
      let pending = Buffer.alloc(0);
      stream.on('data', (chunk) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          if (pending.length < 2) break;
          let len = pending[1] & 0x7f;
          let at = 2;
          if (len === 126) { if (pending.length < 4) break; len = pending.readUInt16BE(2); at = 4; }
          if (pending.length < at + len) break;
          pending = pending.subarray(at + len);
          if (counting) echoed++;
          if (!stream.destroyed) stream.write(message);
        }
      });
    });
  });
}

const opened = await Promise.all(Array.from({ length: connections }, open));
for (const s of opened) if (s) sessions.push(s);
await new Promise((r) => setTimeout(r, WARMUP_MS));
counting = true;
const started = performance.now();
await new Promise((r) => setTimeout(r, durationMs));
counting = false;
const seconds = (performance.now() - started) / 1000;
for (const s of sessions) s.destroy();
process.stdout.write(`${JSON.stringify({ ok: sessions.length === connections, open: sessions.length, messagesPerSec: Math.round(echoed / seconds), errors })}\n`);
process.exit(0);
