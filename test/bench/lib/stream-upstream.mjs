// A streaming upstream for the memory benchmark: POST (any path) reads the body and answers its
// length; GET /bytes?n=N sends N bytes, written as the socket drains; any other GET answers "ok".
//   node test/bench/lib/stream-upstream.mjs --listen 127.0.0.1:9000
import http from 'node:http';

const i = process.argv.indexOf('--listen');
const listen = i > 0 ? process.argv[i + 1] : '127.0.0.1:9000';
const cut = listen.lastIndexOf(':');
const CHUNK = Buffer.alloc(64 * 1024, 0x61);

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (req.method === 'POST' || req.method === 'PUT') {
    let bytes = 0;
    req.on('data', (c) => { bytes += c.length; });
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify({ bodyBytes: bytes })); });
    return;
  }
  req.resume();
  if (url.pathname !== '/bytes') { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok\n'); return; }
  let left = Number(url.searchParams.get('n') ?? 0);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': left });
  const pump = () => {
    while (left > 0) {
      const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= piece.length;
      if (!res.write(piece)) { res.once('drain', pump); return; }
    }
    res.end();
  };
  pump();
});
server.keepAliveTimeout = 300_000;
server.listen(Number(listen.slice(cut + 1)), listen.slice(0, cut), () => process.stdout.write(`stream upstream ${listen}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
