// The balancers through a real edge process: consistent-hashing stickiness by header, cookie and
// consumer, the share of keys that move when one of N targets goes, and latency preferring the
// faster of two upstreams, least-request avoiding a busy one. Upstreams are loopback servers that answer with their own name.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { useHarness } from '../support/harness.js';

interface Upstream { readonly name: string; readonly port: number; readonly server: http.Server }

async function startUpstream(name: string, delayMs = 0): Promise<Upstream> {
  const server = http.createServer((_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end(name), delayMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { name, port: (server.address() as AddressInfo).port, server };
}

const deck = (upstream: Record<string, unknown>, targets: readonly Upstream[], extra: Record<string, unknown> = {}) => ({
  _format_version: '3.0',
  services: [{ name: 'app', url: 'http://pool', routes: [{ name: 'app', paths: ['/'] }], ...(extra.service as object ?? {}) }],
  upstreams: [{ name: 'pool', ...upstream, targets: targets.map((t) => ({ target: `127.0.0.1:${t.port}` })) }],
  ...(extra.consumers ? { consumers: extra.consumers } : {}),
});

describe('balancers end to end (consistent-hashing, latency, least-request)', function () {
  const harness = useHarness('balancers', { consul: false });
  const ups: Upstream[] = [];
  before(async () => { for (const n of ['u0', 'u1', 'u2', 'u3']) ups.push(await startUpstream(n)); });
  after(() => { for (const u of ups) { u.server.closeAllConnections(); u.server.close(); } });

  it('consistent-hashing on a header: the same key reaches the same instance over many requests, keys spread', async () => {
    const h = harness();
    const edge = await h.startDeck('hash-header', deck({ algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-user' }, ups));
    const seen = new Set<string>();
    for (let u = 0; u < 40; u++) {
      const answers = new Set<string>();
      for (let i = 0; i < 5; i++) answers.add((await h.http.get(`${edge.url}/x`, { headers: { 'x-user': `user-${u}` } })).text);
      assert.equal(answers.size, 1, `user-${u} reached ${[...answers].join(', ')}`);
      seen.add([...answers][0]!);
    }
    assert.ok(seen.size >= 3, `40 keys reached only ${[...seen].join(', ')}`);
  });

  it('consistent-hashing on a cookie: set on the response when absent, then sticky', async () => {
    const h = harness();
    const edge = await h.startDeck('hash-cookie', deck({ algorithm: 'consistent-hashing', hash_on: 'cookie', hash_on_cookie: 'sticky', hash_on_cookie_path: '/app' }, ups));
    const instances = new Set<string>();
    for (let c = 0; c < 12; c++) {
      const first = await h.http.get(`${edge.url}/x`);
      const setCookie = String(first.headers['set-cookie']);
      const m = /^sticky=([0-9a-f-]{36}); Path=\/app; SameSite=Lax; HttpOnly$/.exec(setCookie);
      assert.ok(m, `Set-Cookie: ${setCookie}`);
      for (let i = 0; i < 5; i++) {
        const again = await h.http.get(`${edge.url}/x`, { headers: { cookie: `other=1; sticky=${m[1]}` } });
        assert.equal(again.text, first.text, `cookie ${m[1]}`);
        assert.equal(again.headers['set-cookie'], undefined, 'no new cookie when the request has one');
      }
      instances.add(first.text);
    }
    assert.ok(instances.size >= 2, `12 cookies reached only ${[...instances].join(', ')}`);
  });

  it('consistent-hashing on the consumer (key-auth): each consumer sticks to one instance', async () => {
    const h = harness();
    const consumers = Array.from({ length: 8 }, (_, i) => ({ username: `c${i}`, keyauth_credentials: [{ key: `key-${i}` }] }));
    const edge = await h.startDeck('hash-consumer', deck({ algorithm: 'consistent-hashing', hash_on: 'consumer' }, ups, {
      service: { plugins: [{ name: 'key-auth' }] }, consumers,
    }));
    const seen = new Set<string>();
    for (let c = 0; c < consumers.length; c++) {
      const answers = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const r = await h.http.get(`${edge.url}/x`, { headers: { apikey: `key-${c}` } });
        assert.equal(r.status, 200);
        answers.add(r.text);
      }
      assert.equal(answers.size, 1, `c${c} reached ${[...answers].join(', ')}`);
      seen.add([...answers][0]!);
    }
    assert.ok(seen.size >= 2, `8 consumers reached only ${[...seen].join(', ')}`);
  });

  it('consistent-hashing on a route\'s uri capture, falling back to a query argument: each key sticks', async () => {
    const h = harness();
    const edge = await h.startDeck('hash-capture', {
      _format_version: '3.0',
      services: [{ name: 'app', url: 'http://pool', routes: [{ name: 'by-id', paths: ['~/items/(?<id>[0-9]+)$'] }, { name: 'rest', paths: ['/'] }] }],
      upstreams: [{
        name: 'pool', algorithm: 'consistent-hashing', hash_on: 'uri_capture', hash_on_uri_capture: 'id', hash_fallback: 'query_arg', hash_fallback_query_arg: 'u',
        targets: ups.map((t) => ({ target: `127.0.0.1:${t.port}` })),
      }],
    });
    const spread = async (url: (k: number) => string, what: string) => {
      const seen = new Set<string>();
      for (let k = 0; k < 20; k++) {
        const answers = new Set<string>();
        for (let i = 0; i < 4; i++) answers.add((await h.http.get(`${edge.url}${url(k)}`)).text);
        assert.equal(answers.size, 1, `${what} ${k} reached ${[...answers].join(', ')}`);
        seen.add([...answers][0]!);
      }
      assert.ok(seen.size >= 2, `20 ${what} keys reached only ${[...seen].join(', ')}`);
    };
    await spread((k) => `/items/${k}?noise=${Math.random()}`, 'capture');
    await spread((k) => `/other?u=${k}&noise=${Math.random()}`, 'query arg');
  });

  it('removing one of 4 targets remaps about 1/4 of keys, and only keys of the removed one must move', async () => {
    const h = harness();
    const upstream = { algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-user', slots: 10000 };
    const four = await h.startDeck('remap-4', deck(upstream, ups));
    const three = await h.startDeck('remap-3', deck(upstream, ups.slice(0, 3)));
    const KEYS = 300;
    let moved = 0; let movedFromSurvivor = 0;
    for (let u = 0; u < KEYS; u++) {
      const headers = { 'x-user': `key-${u}` };
      const [a, b] = [(await h.http.get(`${four.url}/x`, { headers })).text, (await h.http.get(`${three.url}/x`, { headers })).text];
      if (a !== b) { moved++; if (a !== 'u3') movedFromSurvivor++; }
    }
    const fraction = moved / KEYS;
    console.log(`      (removing 1 of 4 moved ${moved}/${KEYS} = ${fraction.toFixed(3)} of keys; ${movedFromSurvivor} from a remaining target)`);
    assert.ok(fraction > 0.15 && fraction < 0.35, `moved ${fraction}`);
    assert.ok(movedFromSurvivor / KEYS < 0.05, `${movedFromSurvivor} keys of remaining targets moved`);
  });

  it('latency: of two upstreams, the faster gets most requests', async () => {
    const h = harness();
    const slow = await startUpstream('slow', 40);
    try {
      const edge = await h.startDeck('latency', deck({ algorithm: 'latency' }, [ups[0]!, slow]));
      const tally: Record<string, number> = {};
      for (let i = 0; i < 60; i++) {
        const r = await h.http.get(`${edge.url}/x`);
        tally[r.text] = (tally[r.text] ?? 0) + 1;
      }
      assert.ok((tally.u0 ?? 0) >= 50, `fast u0 got ${tally.u0 ?? 0} of 60: ${JSON.stringify(tally)}`);
      assert.ok((tally.slow ?? 0) >= 1, 'the slow one was measured at least once');
    } finally { slow.server.closeAllConnections(); slow.server.close(); }
  });

  it('least-request: with requests in flight on a slow upstream, new ones go to the idle one', async () => {
    const h = harness();
    const slow = await startUpstream('slow', 300);
    try {
      const edge = await h.startDeck('least-request', deck({ algorithm: 'least-request' }, [ups[0]!, slow]));
      const tally: Record<string, number> = {};
      // 4 clients, 40 requests: a request on the slow one stays in flight for 300 ms
      let next = 0;
      await Promise.all(Array.from({ length: 4 }, async () => {
        while (next < 40) {
          next++;
          const r = await h.http.get(`${edge.url}/x`);
          tally[r.text] = (tally[r.text] ?? 0) + 1;
        }
      }));
      assert.ok((tally.u0 ?? 0) >= 30, `idle u0 got ${tally.u0 ?? 0} of 40: ${JSON.stringify(tally)}`);
    } finally { slow.server.closeAllConnections(); slow.server.close(); }
  });
});
