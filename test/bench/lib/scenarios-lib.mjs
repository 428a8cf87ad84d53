// Helpers for test/bench/policies.mjs (policy / cache / mTLS comparisons). Builds on the
// other lib/ modules; nothing here changes them.
//   runWrkWithHeaders  lib/wrk.mjs runWrk + `-H` headers (runWrk has no header option)
//   request            a bounded HTTP(S) request with headers (lib/net.mjs httpGet has none)
//   makeMeshCerts      an EC P-256 CA and SPIFFE leaves, with the openssl CLI
//   policyDeck, cacheDeck, nginxCacheConf, nginxMtlsConf: config generators
//   findConsul, startConsul: a Consul dev agent like run.mjs's two-hop case
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { foreignLoad } from './cpu.mjs';
import { httpGet, waitFor } from './net.mjs';
import { runBounded, startChild } from './proc.mjs';

// ---------------------------------------------------------------------------- small utils

export function which(cmd, fallback) {
  if (fallback && fs.existsSync(fallback)) return fallback;
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function version(argv, re) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 5000 });
  const m = re.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`);
  return m ? m[1] : null;
}

export { median } from './stats.mjs';

export const fmt = (x, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));
export const fmtInt = (x) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : Math.round(x).toLocaleString('en-US'));

/**
 * Waits (at most boundMs) until processes this benchmark did not start use <= maxPct % of
 * a core. Returns the last sample ({ foreignPct, foreignTop }).
 */
export async function waitQuiet({ maxPct = 25, boundMs, write = (s) => process.stdout.write(s) }) {
  let load = await foreignLoad(1500);
  if (boundMs <= 0 || load.foreignPct <= maxPct) return load;
  const deadline = Date.now() + boundMs;
  write(`  (other processes use ${Math.round(load.foreignPct)}% CPU: ${load.foreignTop}; waiting up to ${Math.round(boundMs / 1000)} s)`);
  while (Date.now() < deadline) {
    load = await foreignLoad(1500);
    if (load.foreignPct <= maxPct) break;
  }
  write(load.foreignPct <= maxPct ? ' quiet\n' : ` still ${Math.round(load.foreignPct)}%, measuring anyway\n`);
  return load;
}

// ---------------------------------------------------------------------------- HTTP probe

/** One HTTP request with headers and a hard timeout. Never rejects: { status, headers, body } or { status: 0, error }. */
export function request(url, { method = 'GET', headers = {}, timeoutMs = 3000 } = {}) {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v) => { if (!done) { done = true; resolve(v); } };
    const req = http.request(url, { method, agent: false, timeout: timeoutMs, headers: { connection: 'close', ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { if (body.length < 65536) body += d; });
      res.on('end', () => finish({ status: res.statusCode, headers: res.headers, body }));
      res.on('error', (e) => finish({ status: 0, error: e }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => finish({ status: 0, error: e }));
    req.end();
    setTimeout(() => { req.destroy(); finish({ status: 0, error: new Error('timeout') }); }, timeoutMs + 500).unref();
  });
}

// ---------------------------------------------------------------------------- certificates

export const TRUST_DOMAIN = 'bench.consul';
export const spiffe = (svc) => `spiffe://${TRUST_DOMAIN}/ns/default/dc/dc1/svc/${svc}`;

function openssl(args, cwd) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${(r.stderr || r.error?.message || '').trim().slice(0, 300)}`);
}

/**
 * An EC P-256 CA and one leaf per entry of `leaves` ({ name, dns?: [..] }), each with
 * subjectAltName URI:spiffe://bench.consul/ns/default/dc/dc1/svc/<name> (+ DNS names),
 * EKU serverAuth+clientAuth, valid 2 days. Files in `<dir>/pki`. Returns paths + PEM text.
 */
export function makeMeshCerts(dir, leaves) {
  const pki = path.join(dir, 'pki');
  fs.mkdirSync(pki, { recursive: true });
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'], pki);
  openssl(['req', '-new', '-x509', '-key', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=bench-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    '-addext', `subjectAltName=URI:spiffe://${TRUST_DOMAIN}`], pki);
  const out = { dir: pki, ca: { certFile: path.join(pki, 'ca.crt'), cert: fs.readFileSync(path.join(pki, 'ca.crt'), 'utf8') }, leaves: {} };
  for (const { name, dns = [] } of leaves) {
    const san = [`URI:${spiffe(name)}`, ...dns.map((d) => `DNS:${d}`)].join(',');
    fs.writeFileSync(path.join(pki, `${name}.ext`), `basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyAgreement
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=${san}
`);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], pki);
    openssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`], pki);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', '2', '-sha256', '-extfile', `${name}.ext`], pki);
    out.leaves[name] = {
      certFile: path.join(pki, `${name}.crt`), keyFile: path.join(pki, `${name}.key`),
      cert: fs.readFileSync(path.join(pki, `${name}.crt`), 'utf8'), key: fs.readFileSync(path.join(pki, `${name}.key`), 'utf8'),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------- meshgate configs

/**
 * decK file for the plugins comparison: service `plain` (route /plain, no plugins) and
 * service `policy` (route /policy: jwt, rate-limiting, cors, request-transformer), one
 * consumer with an HS256 jwt secret.
 */
export function policyDeck(dir, { upstreamPort, jwtKey, jwtSecret, origin, name = 'edge-policy' }) {
  const conf = `_format_version: "3.0"
consumers:
  - username: bench
    jwt_secrets:
      - key: ${JSON.stringify(jwtKey)}
        secret: ${JSON.stringify(jwtSecret)}
        algorithm: HS256
services:
  - name: plain
    url: http://127.0.0.1:${upstreamPort}
    routes:
      - name: plain
        paths: ["/plain"]
  - name: policy
    url: http://127.0.0.1:${upstreamPort}
    routes:
      - name: policy
        paths: ["/policy"]
        plugins:
          - name: jwt
          - name: rate-limiting
            config: { second: 1000000, policy: local }
          - name: cors
            config: { origins: [${JSON.stringify(origin)}] }
          - name: request-transformer
            config: { add: { headers: ["x-bench:1"] } }
`;
  const file = path.join(dir, `${name}.yml`);
  fs.writeFileSync(file, conf);
  return file;
}

/** decK file: route / with proxy-cache (memory, text/plain, ttl 300 s). */
export function cacheDeck(dir, { upstreamPort, name = 'edge-cache' }) {
  const conf = `_format_version: "3.0"
services:
  - name: cached
    url: http://127.0.0.1:${upstreamPort}
    routes:
      - name: cached
        paths: ["/"]
        plugins:
          - name: proxy-cache
            config: { strategy: memory, content_type: ["text/plain"], cache_ttl: 300 }
`;
  const file = path.join(dir, `${name}.yml`);
  fs.writeFileSync(file, conf);
  return file;
}

// ---------------------------------------------------------------------------- nginx configs

function nginxHead(dir, name) {
  const tmp = path.join(dir, `${name}-tmp`);
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) fs.mkdirSync(path.join(tmp, sub), { recursive: true });
  const user = process.getuid?.() === 0 ? `user ${os.userInfo().username};` : '';
  return `# generated by test/bench/policies.mjs
${user}
worker_processes 1;
daemon off;
master_process on;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}-error.log warn;
events { worker_connections 8192; multi_accept on; }
http {
  access_log ${dir}/${name}-access.log combined buffer=64k flush=1s;
  client_body_temp_path ${tmp}/client_body;
  proxy_temp_path ${tmp}/proxy;
  fastcgi_temp_path ${tmp}/fastcgi;
  uwsgi_temp_path ${tmp}/uwsgi;
  scgi_temp_path ${tmp}/scgi;
  keepalive_timeout 300s;
  keepalive_requests 100000000;`;
}

function write(dir, name, text) {
  const file = path.join(dir, `${name}.conf`);
  fs.writeFileSync(file, text);
  return file;
}

/** nginx reverse proxy with proxy_cache (hits served from <dir>/<name>-cache). */
export function nginxCacheConf(dir, { port, upstreamPort, keepalive = 128, name = 'nginx-cache' }) {
  const cache = path.join(dir, `${name}-cache`);
  fs.mkdirSync(cache, { recursive: true });
  return write(dir, name, `${nginxHead(dir, name)}
  proxy_cache_path ${cache} levels=1:2 keys_zone=c:10m max_size=100m inactive=60m use_temp_path=off;
  upstream u {
    server 127.0.0.1:${upstreamPort};
    keepalive ${keepalive};
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass http://u;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_cache c;
      proxy_cache_valid 200 10m;
      proxy_ignore_headers Cache-Control Expires Set-Cookie;
      add_header X-Cache-Status $upstream_cache_status;
    }
  }
}
`);
}

/**
 * nginx mTLS hop 1: plain HTTP in, HTTPS with a client certificate out (TLS 1.3, verifies
 * the server's DNS SAN `serverName`, session reuse, keepalive pool).
 */
export function nginxMtlsHop1Conf(dir, { port, hop2Port, certs, client, serverName, keepalive = 128, name = 'nginx-mtls-hop1' }) {
  const leaf = certs.leaves[client];
  return write(dir, name, `${nginxHead(dir, name)}
  upstream hop2 {
    server 127.0.0.1:${hop2Port};
    keepalive ${keepalive};
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / {
      proxy_pass https://hop2;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_ssl_certificate ${leaf.certFile};
      proxy_ssl_certificate_key ${leaf.keyFile};
      proxy_ssl_trusted_certificate ${certs.ca.certFile};
      proxy_ssl_verify on;
      proxy_ssl_verify_depth 2;
      proxy_ssl_name ${serverName};
      proxy_ssl_server_name on;
      proxy_ssl_protocols TLSv1.3;
      proxy_ssl_session_reuse on;
    }
  }
}
`);
}

/** nginx mTLS hop 2: HTTPS in (client certificate required, TLS 1.3), plain HTTP to the upstream. */
export function nginxMtlsHop2Conf(dir, { port, upstreamPort, certs, server, keepalive = 128, name = 'nginx-mtls-hop2' }) {
  const leaf = certs.leaves[server];
  return write(dir, name, `${nginxHead(dir, name)}
  upstream u {
    server 127.0.0.1:${upstreamPort};
    keepalive ${keepalive};
    keepalive_requests 100000000;
    keepalive_timeout 300s;
  }
  server {
    listen 127.0.0.1:${port} ssl backlog=4096;
    ssl_certificate ${leaf.certFile};
    ssl_certificate_key ${leaf.keyFile};
    ssl_client_certificate ${certs.ca.certFile};
    ssl_verify_client on;
    ssl_verify_depth 2;
    ssl_protocols TLSv1.3;
    ssl_session_cache shared:tls:10m;
    location / {
      proxy_pass http://u;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
    }
  }
}
`);
}

// ---------------------------------------------------------------------------- consul

/** The consul binary from deploy/setup/install-consul.sh: { bin } or { error }. */
export async function findConsul(root) {
  const script = path.join(root, 'deploy', 'setup', 'install-consul.sh');
  if (!fs.existsSync(script)) return { error: 'deploy/setup/install-consul.sh not found' };
  const r = await runBounded(['bash', script], { timeoutMs: 300000, cwd: root });
  const bin = r.stdout.trim().split('\n').pop()?.trim();
  if (r.code !== 0 || !bin || !fs.existsSync(bin)) {
    return { error: `install-consul.sh failed (exit ${r.code}${r.timedOut ? ', timed out' : ''}): ${r.stderr.trim().slice(-400)}` };
  }
  return { bin };
}

/**
 * Starts `consul agent -dev` on the given ports (flags as run.mjs) and waits (bounded) for
 * a leader. Returns { handle, ok, reason }.
 */
export async function startConsul({ bin, ports: [http_, lan, wan, server], log, cwd, cpu, timeoutMs = 30000 }) {
  const handle = startChild('consul', [bin, 'agent', '-dev', '-bind=127.0.0.1', '-client=127.0.0.1',
    `-http-port=${http_}`, '-dns-port=-1', `-serf-lan-port=${lan}`, `-serf-wan-port=${wan}`,
    `-server-port=${server}`, '-grpc-port=-1'], { log, cwd, cpu });
  const r = await waitFor(async () => {
    const res = await httpGet(`http://127.0.0.1:${http_}/v1/status/leader`, 1500);
    if (res.status !== 200) return null;
    let leader = res.body.trim();
    try { leader = JSON.parse(leader); } catch { /* raw */ }
    return leader || null;
  }, { timeoutMs, abort: () => (!handle.alive() ? `consul exited (code ${handle.code})` : null) });
  return { handle, ok: r.ok, reason: r.reason };
}
