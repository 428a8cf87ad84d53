// Checks the running compose demo from the root namespace (the engine's namespace address NS_IP):
// both services answer through the edge, Prometheus scrapes every agent (edge and three sidecars) as up,
// the sidecars' mesh port speaks only mTLS with SPIFFE certificates,
// Consul lists services and sidecars passing, and stopping users-1 drains with no failed request.
import { execFileSync, spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { json, sleep, until } from './http-checks.mjs';

const ip = process.env.NS_IP;
const edge = `http://${ip}:8080`;
const consul = `http://${ip}:8500`;
async function passing(service, n) {
  const { body } = await json(`${consul}/v1/health/checks/${service}`);
  const ids = new Set(body.filter((c) => c.Status === 'passing').map((c) => c.ServiceID));
  return body.length > 0 && body.every((c) => c.Status === 'passing') && ids.size === n;
}

await until('Consul: users ×2, orders ×1 and their sidecars passing', async () =>
  (await passing('users', 2)) && (await passing('orders', 1)) &&
  (await passing('users-sidecar-proxy', 2)) && (await passing('orders-sidecar-proxy', 1)));
console.log('compose: Consul lists users ×2, orders ×1 and 3 sidecar proxies, all checks passing');

const seen = new Set();
await until('both users instances through the edge', async () => {
  const r = await json(`${edge}/api/v1/users/7`);
  if (r.status === 200 && r.body.service === 'users') seen.add(r.body.instance);
  return seen.size === 2;
});
const orders = await until('orders through the edge', async () => {
  const r = await json(`${edge}/api/v1/orders/3`);
  return r.status === 200 && r.body.service === 'orders' && r.body;
});
assert.equal(orders.instance, 'orders-1');
console.log(`compose: through the edge users answered from ${[...seen].sort().join(', ')}, orders from ${orders.instance}`);

// Prometheus (in the edge's network namespace, :9090 published): every agent's /metrics scraped, each target up,
// and a query over the sidecars' own series answers from all three.
const wanted = ['127.0.0.1:9901', 'users-1:9901', 'users-2:9901', 'orders-1:9901'];
const targets = await until('Prometheus to scrape every agent as up', async () => {
  const { body } = await json(`http://${ip}:9090/api/v1/targets?state=active`);
  const active = body?.data?.activeTargets ?? [];
  const up = active.filter((t) => t.health === 'up').map((t) => t.labels.instance).sort();
  return up.length === wanted.length && wanted.every((w) => up.includes(w)) && active;
});
const q = await until('a PromQL query over the agents', async () => {
  const { body } = await json(`http://${ip}:9090/api/v1/query?query=${encodeURIComponent('up{job=~"meshgate-.*"}')}`);
  return body?.status === 'success' && body.data.result.length === wanted.length && body.data.result.every((r) => r.value[1] === '1') && body;
});
console.log(`compose: Prometheus scrapes ${targets.map((t) => `${t.labels.job}/${t.labels.instance}`).sort().join(', ')}, all up (${q.data.result.length} up series = 1)`);

// The mesh port from inside the compose network: TLS only, certificate with the service's SPIFFE identity.
const probe = `
const tls = require('node:tls'), net = require('node:net');
const s = tls.connect({ host: 'users-1', port: 21000, servername: 'users', rejectUnauthorized: false }, () => {
  console.log(JSON.stringify({ san: s.getPeerCertificate().subjectaltname }));
  s.end();
});
s.on('error', (e) => { console.log(JSON.stringify({ error: e.message })); });`;
const out = execFileSync('docker-compose', ['exec', '-T', 'edge', 'node', '-e', probe], { encoding: 'utf8' }).trim();
const lines = out.split('\n').map((l) => JSON.parse(l));
const san = lines.find((l) => l.san)?.san ?? '';
// Without a client certificate the sidecar ends the handshake: mesh traffic is mutual TLS only.
assert.ok(lines.some((l) => /certificate required/.test(l.error ?? '')), `no client-certificate refusal: ${out}`);
assert.match(san, /URI:spiffe:\/\/[^/]+\.consul\/ns\/default\/dc\/[^/]+\/svc\/users/, `users-1 mesh certificate: ${out}`);
const plain = execFileSync('docker-compose', ['exec', '-T', 'edge', 'node', '-e',
  "fetch('http://users-1:21000/api/v1/users/1').then(r=>console.log('answered '+r.status),e=>console.log('refused'))"], { encoding: 'utf8' }).trim();
assert.equal(plain, 'refused', `plain HTTP to the mesh port: ${plain}`);
console.log(`compose: users-1's mesh port serves ${san.match(/spiffe:\S+/)[0].replace(/,$/, '')} and refuses plain HTTP and TLS without a client certificate`);

// Bounded load loop through the edge while users-1 (sidecar first, then the app) is stopped.
let stopped = false; let total = 0; const failures = [];
const worker = async () => {
  for (let i = 0; i < 2000 && !(stopped && i > 0 && total > 400); i++) {
    total++;
    try {
      const r = await json(`${edge}/api/v1/users/${i}`);
      if (r.status !== 200 || r.body.service !== 'users') failures.push(`${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
    } catch (err) { failures.push(err.message); }
  }
};
const load = Promise.all([worker(), worker(), worker(), worker()]);
await sleep(1500);
const stop = spawn('docker-compose', ['stop', 'users-1-sidecar', 'users-1-consul', 'users-1'], { stdio: 'inherit' });
await new Promise((r) => stop.on('exit', r));
stopped = true;
await load;
const after = new Set();
for (let i = 0; i < 20; i++) after.add((await json(`${edge}/api/v1/users/${i}`)).body.instance);
console.log(`compose: ${total} requests while users-1 stopped, ${failures.length} failed; afterwards only ${[...after].join(', ')}`);
assert.deepEqual(failures, []);
assert.deepEqual([...after], ['users-2']);
