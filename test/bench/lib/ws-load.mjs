#!/usr/bin/env node
// WebSocket echo load: `connections` clients (the `ws` package), each keeping `window` messages of
// `size` bytes in flight and sending the next as each echo arrives, for durationS after 1 s of warm-up.
// Prints one JSON line: messages echoed per second, and errors. Bounded: it exits after the run.
//   node ws-load.mjs URL CONNECTIONS DURATION_S [SIZE] [WINDOW]
import WebSocket from 'ws';

const [url, conns = '50', dur = '5', size = '64', win = '4'] = process.argv.slice(2);
const connections = Number(conns);
const durationMs = Number(dur) * 1000;
const payload = Buffer.alloc(Number(size), 0x61).toString();
const window = Number(win);
const WARMUP_MS = 1000;

let counting = false;
let echoed = 0;
let errors = 0;
const sockets = [];

function open() {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
    ws.on('open', () => {
      for (let i = 0; i < window; i++) ws.send(payload);
      resolve(ws);
    });
    ws.on('message', () => {
      if (counting) echoed++;
      if (ws.readyState === WebSocket.OPEN) ws.send(payload);
    });
    ws.on('error', () => { errors++; resolve(null); });
    ws.on('close', () => {});
  });
}

const opened = await Promise.all(Array.from({ length: connections }, open));
for (const ws of opened) if (ws) sockets.push(ws);
await new Promise((r) => setTimeout(r, WARMUP_MS));
counting = true;
const started = performance.now();
await new Promise((r) => setTimeout(r, durationMs));
counting = false;
const seconds = (performance.now() - started) / 1000;
for (const ws of sockets) ws.terminate();
process.stdout.write(`${JSON.stringify({ ok: sockets.length === connections, open: sockets.length, messagesPerSec: Math.round(echoed / seconds), errors })}\n`);
process.exit(0);
