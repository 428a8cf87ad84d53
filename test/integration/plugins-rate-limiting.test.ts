// Kong's rate-limiting plugin end to end: two edge agents (two decK processes) sharing one
// Redis count exactly; a dead Redis is survived with local counters (fault_tolerant) or refused
// with a 500 that reaches no upstream; a spoofed X-Forwarded-For cannot pick another counter.
import assert from 'node:assert/strict';
import { useHarness, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { waitFor as waitForLog } from '../support/wait.js';
import type { HttpResult } from '../support/http.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { sleep } from '../support/wait.js';

type Config = Record<string, unknown>;

function deck(upstream: ServiceHandle, redisPort: number, routes: Record<string, Config>): Record<string, unknown> {
  const redis = { host: '127.0.0.1', port: redisPort, timeout: 500 };
  return {
    _format_version: '3.0',
    services: [{
      name: 'web', url: `http://127.0.0.1:${upstream.port}`,
      routes: Object.entries(routes).map(([name, config]) => ({
        name, paths: [`/${name}`], strip_path: false,
        plugins: [{ name: 'rate-limiting', config: { ...(config.policy === 'redis' ? { redis } : {}), ...config } }],
      })),
    }],
  };
}

/** Waits (at most ~10 s) until at least `marginS` seconds are left in the current UTC minute. */
async function awayFromMinuteEnd(marginS = 15): Promise<void> {
  const left = 60 - (Date.now() % 60_000) / 1000;
  if (left < marginS) await sleep(Math.ceil(left * 1000) + 50);
}

const header = (r: HttpResult, name: string) => r.headers[name.toLowerCase()];

describe('rate-limiting plugin end to end: two edge agents, one Redis', function () {
  this.timeout(60_000);
  const harness = useHarness('plugins-rate-limiting', { consul: false });
  let redis: RedisServer | undefined;
  let web: ServiceHandle;
  let edges: AgentHandle[];

  before(async function () {
    this.timeout(320_000); // may install redis-server once
    const h = harness();
    redis = await startRedis();
    web = await h.startService('web', 'web-1');
    const doc = deck(web, redis.port, {
      shared: { minute: 5, limit_by: 'ip', policy: 'redis' },
      tolerant: { hour: 6, limit_by: 'ip', policy: 'redis', fault_tolerant: true },
      strict: { hour: 1000, limit_by: 'ip', policy: 'redis', fault_tolerant: false },
      spoof: { hour: 3, limit_by: 'ip', policy: 'redis' },
    });
    edges = [await h.startDeck('deck-edge-a', doc), await h.startDeck('deck-edge-b', doc)];
  });

  after(async () => {
    await redis?.stop();
  });

  it('lets exactly 5 of 100 concurrent requests through (5 per minute), across both agents', async () => {
    const h = harness();
    await awayFromMinuteEnd();
    const served = await web.served();
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => h.http.get(`${edges[i % 2]!.url}/shared?i=${i}`)));
    const ok = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 429);
    assert.equal(ok.length, 5, `statuses: ${JSON.stringify(answers.map((r) => r.status))}`);
    assert.equal(refused.length, 95);
    assert.equal(await web.served() - served, 5, 'only the allowed requests reached the upstream');

    assert.deepEqual(ok.map((r) => header(r, 'X-RateLimit-Remaining-Minute')).sort(), ['0', '1', '2', '3', '4']);
    for (const r of ok) assert.equal(header(r, 'X-RateLimit-Limit-Minute'), '5');
    for (const r of refused) {
      assert.deepEqual(r.json(), { message: 'API rate limit exceeded' });
      assert.match(String(header(r, 'content-type')), /application\/json/);
      const retry = Number(header(r, 'Retry-After'));
      assert.ok(retry >= 1 && retry <= 60, `Retry-After ${header(r, 'Retry-After')}`);
      assert.equal(header(r, 'X-RateLimit-Limit-Minute'), '5');
      assert.equal(header(r, 'X-RateLimit-Remaining-Minute'), '0');
      assert.equal(header(r, 'RateLimit-Limit'), '5');
      assert.equal(header(r, 'RateLimit-Remaining'), '0');
      assert.equal(header(r, 'RateLimit-Reset'), header(r, 'Retry-After'));
    }
  });

  it('does not let a spoofed X-Forwarded-For from an untrusted peer pick another counter', async () => {
    const h = harness();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await h.http.get(`${edges[i % 2]!.url}/spoof`, { headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } });
      statuses.push(r.status);
    }
    // every request counted against the peer address (127.0.0.1), whatever it claimed
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
  });

  it('Redis stopped: fault_tolerant keeps serving with local limits; otherwise 500 and nothing forwarded', async () => {
    const h = harness();
    await redis!.stop();
    for (const edge of edges) {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await h.http.get(`${edge.url}/tolerant?i=${i}`)).status);
      // no Consul, so each agent knows of itself only: the whole limit, counted locally
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429], edge.name);
    }

    const served = await web.served();
    for (const edge of edges) {
      const r = await h.http.get(`${edge.url}/strict`);
      assert.equal(r.status, 500, r.text);
      assert.deepEqual(r.json(), { message: 'An unexpected error occurred' });
    }
    assert.equal(await web.served(), served, 'the upstream received nothing');
    for (const edge of edges) {
      const warnings = () => edge.child.output.json().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('rate-limiting: Redis failed'));
      // logs are written in batches: give the line a moment to arrive
      await waitForLog(() => warnings().length >= 1, { timeoutMs: 3000, intervalMs: 50, what: `${edge.name}: a Redis warning` });
      const warned = warnings();
      assert.ok(warned.length >= 1 && warned.length <= 4, `${edge.name}: ${warned.length} Redis warnings (throttled)`);
    }
  });
});
