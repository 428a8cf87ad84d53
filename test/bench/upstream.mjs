// node:http fixed-response upstream (the alternative to the nginx upstream).
// Usage: node test/bench/upstream.mjs --listen 127.0.0.1:9000
import http from 'node:http';
import { UPSTREAM_BODY } from './lib/configs.mjs';

const i = process.argv.indexOf('--listen');
const listen = i > 0 ? process.argv[i + 1] : '127.0.0.1:9000';
const [host, port] = listen.includes(':') ? [listen.slice(0, listen.lastIndexOf(':')), listen.slice(listen.lastIndexOf(':') + 1)] : ['127.0.0.1', listen];
const body = Buffer.from(UPSTREAM_BODY);
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 300_000;
server.headersTimeout = 310_000;
server.listen(Number(port), host, () => process.stdout.write(`upstream ${host}:${port}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
