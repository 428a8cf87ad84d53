// Minimal undici mTLS forwarder pair: the Node reference for meshgate's edge -> sidecar hop
// (test/bench/policies.mjs, mtls comparison). Same forwarding code as minimal-forwarder.mjs (lib/forward.mjs).
//   hop 1: node:http in  -> undici.Pool over HTTPS with a client certificate (TLS 1.3)
//     node test/bench/mtls-forwarder.mjs --hop 1 --listen 127.0.0.1:8080 --upstream https://127.0.0.1:8443 \
//       --cert c.crt --key c.key --ca ca.crt --servername benchsvc
//   hop 2: node:https in (requestCert, rejectUnauthorized, TLS 1.3) -> undici.Pool plain HTTP
//     node test/bench/mtls-forwarder.mjs --hop 2 --listen 127.0.0.1:8443 --upstream http://127.0.0.1:9000 \
//       --cert s.crt --key s.key --ca ca.crt
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Pool } from 'undici';
import { forwardThrough } from './lib/forward.mjs';

const arg = (name, def) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : def; };
const hop = arg('hop', '1');
const listen = arg('listen', '127.0.0.1:8080');
const upstream = arg('upstream', 'http://127.0.0.1:9000');
const read = (name) => fs.readFileSync(arg(name), 'utf8');
const cert = read('cert');
const key = read('key');
const ca = read('ca');
const host = listen.slice(0, listen.lastIndexOf(':'));
const port = Number(listen.slice(listen.lastIndexOf(':') + 1));

const pool = new Pool(upstream, {
  connections: 128,
  pipelining: 1,
  // Hop 1 presents its certificate; the server's identity is a SPIFFE URI SAN, which
  // Node's hostname check does not understand: the CA pin is the check here.
  ...(hop === '1' ? { connect: { cert, key, ca, servername: arg('servername', 'benchsvc'), checkServerIdentity: () => undefined, minVersion: 'TLSv1.3' } } : {}),
});

const forward = forwardThrough(pool);

const server = hop === '1'
  ? http.createServer(forward)
  : https.createServer({ cert, key, ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, forward);
server.keepAliveTimeout = 300_000;
server.listen(port, host, () => process.stdout.write(`mtls-forwarder hop ${hop} ${host}:${port} -> ${upstream}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); pool.close().finally(() => process.exit(0)); setTimeout(() => process.exit(0), 1000).unref(); });
