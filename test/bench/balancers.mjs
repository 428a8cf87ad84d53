// CPU-only balancer benchmarks: ns per pick for each registered balancer over a 10-member pool
// (consistent-hashing: a different key hash per pick; latency: members with measured EWMAs), and the share of keys the consistent-hash table remaps when one of N targets is added/removed.
// Run after `npx tsc -p tsconfig.json`: node test/bench/balancers.mjs [picks]
import { EndpointState } from '../../dist/agent/pool/endpoint-state.js';
import { BALANCER_NAMES, createBalancer } from '../../dist/agent/balance/index.js';
import { HashRing, hashString, remapFraction } from '../../dist/agent/balance/hash-ring.js';

const PICKS = Number(process.argv[2] ?? 2_000_000);
const NOW = Date.now();

function pool(n) {
  return Array.from({ length: n }, (_, i) => ({
    key: `m${i}`, address: `10.0.0.${i}:80`, host: `10.0.0.${i}`, port: 80, weight: 100, instanceId: `m${i}`,
    state: new EndpointState(`m${i}`), dispatcher: undefined, dispatcherKey: `10.0.0.${i}:80`,
  }));
}

function nsPerPick(pick, count) {
  for (let i = 0; i < 10_000; i++) pick(i); // warm up the JIT
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) pick(i);
  return Number(process.hrtime.bigint() - t0) / count;
}

const members = pool(10);
members.forEach((m, i) => { m.state.inflight = i % 3; m.state.latencyEwmaMs = 5 + i; m.state.latencyAt = NOW; });
const hashes = Array.from({ length: 1024 }, (_, i) => hashString(`user-${i}`));
const rows = [];
for (const name of BALANCER_NAMES) {
  const b = createBalancer(name, members, { slots: 10_000 });
  rows.push({ pick: name, ns: nsPerPick((i) => b.pick(members, NOW, null, hashes[i & 1023]), PICKS) });
}
const targets = members.map((m) => ({ key: m.key, weight: m.weight }));
const ring = new HashRing(targets, 10_000);
const keys = Array.from({ length: 1024 }, (_, i) => `user-${i}`);
rows.push({ pick: 'consistent-hash table (key hash + lookup)', ns: nsPerPick((i) => ring.owner(hashString(keys[i & 1023])), PICKS) });
console.table(rows.map((r) => ({ pick: r.pick, 'ns/pick': r.ns.toFixed(1) })));

const KEYS = Array.from({ length: 100_000 }, (_, i) => `key-${i}`);
const remap = [];
for (const n of [4, 10, 50]) {
  const before = Array.from({ length: n }, (_, i) => ({ key: `10.0.0.${i}:80`, weight: 100 }));
  const removed = before.slice(1);
  const added = [...before, { key: '10.9.9.9:80', weight: 100 }];
  const r0 = new HashRing(before, 10_000);
  remap.push({
    targets: n,
    'remove one: moved': remapFraction(r0, before, new HashRing(removed, 10_000), removed, KEYS).toFixed(4), 'ideal 1/N': (1 / n).toFixed(4),
    'add one: moved': remapFraction(r0, before, new HashRing(added, 10_000), added, KEYS).toFixed(4), 'ideal 1/(N+1)': (1 / (n + 1)).toFixed(4),
  });
}
console.table(remap);
