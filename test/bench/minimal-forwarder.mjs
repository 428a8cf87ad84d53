// Minimal undici forwarder: the "Node ceiling" contestant of test/bench/run.mjs.
// node:http server + one undici.Pool to a single upstream; streams both bodies.
// Usage: node test/bench/minimal-forwarder.mjs --listen 8080 --upstream http://127.0.0.1:9000
import http from 'node:http';
import { Pool } from 'undici';
import { forwardThrough } from './lib/forward.mjs';

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const listen = arg('listen', '8080');
const upstream = arg('upstream', 'http://127.0.0.1:9000');
const [host, port] = listen.includes(':') ? [listen.slice(0, listen.lastIndexOf(':')), listen.slice(listen.lastIndexOf(':') + 1)] : ['127.0.0.1', listen];

const pool = new Pool(upstream, { connections: 128, pipelining: 1 });
const server = http.createServer(forwardThrough(pool));
server.keepAliveTimeout = 300_000;
server.listen(Number(port), host, () => process.stdout.write(`minimal-forwarder ${host}:${port} -> ${upstream}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); pool.close().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 1000).unref(); });
