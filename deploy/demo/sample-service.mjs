#!/usr/bin/env node
// A sample HTTP service for the demo, the tests and the benchmarks. No dependencies.
//   node sample-service.mjs --port 7001 --name users --instance users-1 [--host 127.0.0.1]
// Routes:
//   GET  /health                 200 {"status":"passing"} or 503 when failed by /_control/health
//   POST /_control/health?status=pass|fail   flip the health answer (tests use it)
//   any  /...?delay_ms=N         answer after N ms (least-connections and drain tests)
//   GET  /api/v1/users/:id/orders  (with --upstream orders=URL) calls orders through the local
//                                upstream port of its sidecar and returns what it got, status included
//   any  /...                    200 JSON echo: service, instance, method, path, headers, body bytes
//   GET  /ws (Upgrade: websocket)  a WebSocket echo (ws-echo.mjs); /ws/refuse declines the upgrade with 403
import http from 'node:http';
import { parseArgs } from 'node:util';
import { webSocketEcho } from './ws-echo.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '7001' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    name: { type: 'string', default: process.env.SERVICE_NAME ?? 'sample' },
    instance: { type: 'string', default: process.env.INSTANCE_ID ?? '' },
    upstream: { type: 'string', multiple: true, default: [] },
  },
});
const upstreams = Object.fromEntries(values.upstream.map((u) => [u.slice(0, u.indexOf('=')), u.slice(u.indexOf('=') + 1)]));
const instance = values.instance || `${values.name}-${values.port}`;
let healthy = true;
let served = 0;

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/health') {
    res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: healthy ? 'passing' : 'failing', instance }));
    return;
  }
  if (url.pathname === '/_control/health' && req.method === 'POST') {
    healthy = url.searchParams.get('status') !== 'fail';
    res.writeHead(204).end();
    return;
  }
  if (url.pathname === '/_control/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ instance, served }));
    return;
  }
  served++;
  const nested = /^\/api\/v1\/users\/([^/]+)\/orders$/.exec(url.pathname);
  if (nested && upstreams.orders) {
    fetch(`${upstreams.orders}/api/v1/orders?user=${encodeURIComponent(nested[1])}`, { headers: { 'x-request-id': String(req.headers['x-request-id'] ?? '') } })
      .then(async (r) => {
        const text = await r.text();
        let orders; try { orders = JSON.parse(text); } catch { orders = text; }
        res.writeHead(r.status, { 'content-type': 'application/json', 'x-instance': instance });
        res.end(JSON.stringify({ service: values.name, instance, user: nested[1], via: upstreams.orders, status: r.status, orders }));
      }, (err) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `orders call failed: ${err.message}` }));
      });
    req.resume();
    return;
  }
  let bytes = 0;
  req.on('data', (chunk) => { bytes += chunk.length; });
  req.on('end', () => {
    const reply = () => {
      const body = JSON.stringify({
        service: values.name, instance, method: req.method, path: req.url,
        headers: req.headers, bodyBytes: bytes,
      });
      res.writeHead(200, { 'content-type': 'application/json', 'x-instance': instance });
      res.end(body);
    };
    const delay = Number(url.searchParams.get('delay_ms') ?? 0);
    if (delay > 0) setTimeout(reply, delay); else reply();
  });
});
server.on('upgrade', webSocketEcho({ service: values.name, instance }, () => { served++; }));
server.keepAliveTimeout = 65_000;
server.listen(Number(values.port), values.host, () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', service: values.name, instance, port: Number(values.port) })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
