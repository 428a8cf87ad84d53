// fastify + @fastify/http-proxy: the "Node gateway" contestant of test/bench/run.mjs.
// Fastify's defaults (logger off); @fastify/reply-from's undici pool to the one upstream, sized like
// minimal-forwarder.mjs's (128 keep-alive connections, pipelining 1); streams both bodies.
// Usage: node test/bench/fastify-forwarder.mjs --listen 8080 --upstream http://127.0.0.1:9000
import Fastify from 'fastify';
import httpProxy from '@fastify/http-proxy';

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const listen = arg('listen', '8080');
const upstream = arg('upstream', 'http://127.0.0.1:9000');
const [host, port] = listen.includes(':') ? [listen.slice(0, listen.lastIndexOf(':')), listen.slice(listen.lastIndexOf(':') + 1)] : ['127.0.0.1', listen];

const app = Fastify({ keepAliveTimeout: 300_000 });
await app.register(httpProxy, { upstream, undici: { connections: 128, pipelining: 1 } });
await app.listen({ port: Number(port), host });
process.stdout.write(`fastify-forwarder ${host}:${port} -> ${upstream}\n`);
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { app.close().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 1000).unref(); });
