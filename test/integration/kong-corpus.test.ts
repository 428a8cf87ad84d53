// The Kong compatibility corpus: realistic decK files in test/fixtures/kong load unchanged and
// behave as Kong documents (statuses, headers, bodies), with real Redis and real upstreams.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { useHarness, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { MESHGATE_BIN, REPO } from '../support/repo.js';
import { runBounded } from '../support/proc.js';
import { rawRequest } from '../support/http.js';

const CORPUS = path.join(REPO, 'test/fixtures/kong');
const JWT_SECRET = 'petstore-test-secret-0123456789abcdef';

describe('Kong decK corpus', function () {
  this.timeout(60_000);
  const harness = useHarness('kong-corpus', { consul: false });
  let redis: RedisServer;
  let backend: ServiceHandle;
  const saved = { ...process.env };
  const edges = new Map<string, AgentHandle>();

  before(async function () {
    redis = await startRedis();
    backend = await harness().startService('petstore', 'petstore-1');
    Object.assign(process.env, {
      PETSTORE_TARGET: `127.0.0.1:${backend.port}`, UPSTREAM: `127.0.0.1:${backend.port}`,
      REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port), PETSTORE_JWT_SECRET: JWT_SECRET,
    });
  });
  after(async () => {
    for (const k of ['PETSTORE_TARGET', 'UPSTREAM', 'REDIS_HOST', 'REDIS_PORT', 'PETSTORE_JWT_SECRET']) {
      if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
    }
    await redis?.stop();
  });

  /** an edge agent running a corpus file as is (no rewriting: env values fill the ${...}) */
  async function edgeFor(file: string): Promise<AgentHandle> {
    let e = edges.get(file);
    if (!e) {
      const h = harness();
      const [port, adminPort] = [await h.port(), await h.port()];
      e = await h.startAgent(`deck ${file}`, path.join(CORPUS, file), { adminPort, port, args: ['--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`] });
      edges.set(file, e);
    }
    return e;
  }

  it('every corpus file passes `meshgate validate`', async () => {
    const files = readdirSync(CORPUS).filter((f) => f.endsWith('.yml'));
    assert.ok(files.length >= 8);
    for (const f of files) {
      const r = await runBounded(process.execPath, [MESHGATE_BIN, 'validate', path.join(CORPUS, f)], { timeoutMs: 20_000, env: process.env });
      assert.equal(r.code, 0, `${f}: ${r.stderr}`);
      assert.equal(r.stdout.trim(), 'OK');
    }
  });

  describe('petstore.yml (jwt, rate-limiting on Redis, cors, request-transformer)', () => {
    const token = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(JWT_SECRET));

    it('reads pets without a token; the upstream sees the stripped path and the added header', async () => {
      const e = await edgeFor('petstore.yml');
      const r = await harness().http.get(`${e.url}/v1/pets/7?q=a%20b`);
      assert.equal(r.status, 200);
      const echo = r.json<{ path: string; headers: Record<string, string> }>();
      assert.equal(echo.path, '/api/7?q=a%20b');
      assert.equal(echo.headers['x-gateway'], 'meshgate');
      assert.equal(r.headers['x-ratelimit-limit-minute'], '20');
      assert.ok(Number(r.headers['x-ratelimit-remaining-minute']) < 20);
    });

    it('writes need a JWT: 401 with Kong\'s body and WWW-Authenticate, then 200 as the consumer', async () => {
      const e = await edgeFor('petstore.yml');
      const h = harness();
      const none = await h.http.post(`${e.url}/v1/pets`, '{}', { headers: { 'content-type': 'application/json' } });
      assert.equal(none.status, 401);
      assert.deepEqual(none.json(), { message: 'Unauthorized' });
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      const expired = await h.http.post(`${e.url}/v1/pets`, '{}', { headers: { authorization: `Bearer ${await token({ iss: 'petstore-web-issuer', exp: Math.floor(Date.now() / 1000) - 60 })}` } });
      assert.equal(expired.status, 401);
      assert.deepEqual(expired.json(), { exp: 'token expired' });
      const forged = await new SignJWT({ iss: 'petstore-web-issuer', exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('not-the-secret-not-the-secret-xx'));
      const bad = await h.http.post(`${e.url}/v1/pets`, '{}', { headers: { authorization: `Bearer ${forged}` } });
      assert.equal(bad.status, 401);
      assert.deepEqual(bad.json(), { message: 'Invalid signature' });
      const ok = await h.http.post(`${e.url}/v1/pets`, '{"name":"rex"}', { headers: { 'content-type': 'application/json', authorization: `Bearer ${await token({ iss: 'petstore-web-issuer', exp: Math.floor(Date.now() / 1000) + 300 })}` } });
      assert.equal(ok.status, 200, ok.text);
      const echo = ok.json<{ method: string; headers: Record<string, string> }>();
      assert.equal(echo.method, 'POST');
      assert.equal(echo.headers['x-consumer-username'], 'petstore-web');
      assert.equal(echo.headers['x-consumer-custom-id'], 'web-001');
    });

    it('answers the CORS preflight of the web app, and not another origin\'s', async () => {
      const e = await edgeFor('petstore.yml');
      const pre = await rawRequest(`${e.url}/v1/pets`, { method: 'OPTIONS', headers: [['Origin', 'https://petstore.example.com'], ['Access-Control-Request-Method', 'GET']] });
      assert.equal(pre.status, 200);
      assert.equal(pre.headers['access-control-allow-origin'], 'https://petstore.example.com');
      assert.equal(pre.headers['access-control-allow-credentials'], 'true');
      assert.equal(pre.headers['access-control-max-age'], '3600');
      assert.match(String(pre.headers.vary), /Origin/);
      const evil = await rawRequest(`${e.url}/v1/pets`, { method: 'GET', headers: [['Origin', 'https://evil.example.com']] });
      assert.equal(evil.status, 200);
      assert.equal(evil.headers['access-control-allow-origin'], undefined);
    });
  });

  const CASES: { file: string; name: string; request: { path: string; method?: string; headers?: [string, string][]; body?: string }; status: number; body?: unknown; header?: [string, RegExp | undefined] }[] = [
    { file: 'key-auth.yml', name: 'no key → 401', request: { path: '/admin' }, status: 401, body: { message: 'No API key found in request' } },
    { file: 'key-auth.yml', name: 'unknown key → 401', request: { path: '/admin', headers: [['apikey', 'nope']] }, status: 401 },
    { file: 'key-auth.yml', name: 'admins may pass', request: { path: '/admin', headers: [['apikey', 'alice-key']] }, status: 200 },
    { file: 'key-auth.yml', name: 'other groups → 403', request: { path: '/admin', headers: [['apikey', 'bob-key']] }, status: 403, body: { message: 'You cannot consume this service' } },
    { file: 'ip-restriction.yml', name: 'denied address → 403', request: { path: '/internal' }, status: 403, body: { message: 'IP address not allowed: 127.0.0.1' } },
    { file: 'ip-restriction.yml', name: 'other route unaffected', request: { path: '/public' }, status: 200 },
    { file: 'request-size-limiting.yml', name: 'over 1 KiB → 413', request: { path: '/upload', method: 'POST', body: 'x'.repeat(2048) }, status: 413, body: { message: 'Request size limit exceeded' } },
    { file: 'request-size-limiting.yml', name: 'under the limit passes', request: { path: '/upload', method: 'POST', body: 'x'.repeat(100) }, status: 200 },
    { file: 'correlation-id.yml', name: 'an id is echoed', request: { path: '/x' }, status: 200, header: ['x-correlation-id', /^[0-9a-f-]{36}$/] },
    { file: 'response-transformer.yml', name: 'headers changed', request: { path: '/x' }, status: 200, header: ['x-instance', undefined] },
    { file: 'response-transformer.yml', name: 'header added', request: { path: '/x' }, status: 200, header: ['x-served-by', /^meshgate$/] },
    { file: 'proxy-cache.yml', name: 'first request misses', request: { path: '/catalog/1' }, status: 200, header: ['x-cache-status', /^(Miss|Hit)$/] },
    { file: 'proxy-cache.yml', name: 'second request hits', request: { path: '/catalog/1' }, status: 200, header: ['x-cache-status', /^Hit$/] },
  ];
  for (const c of CASES) {
    it(`${c.file}: ${c.name}`, async () => {
      const e = await edgeFor(c.file);
      const r = await rawRequest(`${e.url}${c.request.path}`, { method: c.request.method ?? 'GET', headers: c.request.headers ?? [], ...(c.request.body ? { body: c.request.body } : {}) });
      assert.equal(r.status, c.status, r.text);
      if (c.body !== undefined) assert.deepEqual(r.json(), c.body);
      if (c.header) {
        const v = r.headers[c.header[0]];
        if (c.header[1] === undefined) assert.equal(v, undefined);
        else assert.match(String(v), c.header[1]);
      }
    });
  }

  it('rate-limiting-local.yml: the fourth request in one second is 429 with Retry-After', async () => {
    const e = await edgeFor('rate-limiting-local.yml');
    const h = harness();
    // Kong's windows are whole seconds of the clock: start just after one begins, so that the six
    // requests fall in one window (a CI run once saw them straddle two: 3 + 1 allowed)
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
    const results = await Promise.all(Array.from({ length: 6 }, () => h.http.get(`${e.url}/search`)));
    const limited = results.filter((r) => r.status === 429);
    assert.ok(limited.length >= 3, results.map((r) => r.status).join(','));
    assert.deepEqual(limited[0]!.json(), { message: 'API rate limit exceeded' });
    assert.ok(Number(limited[0]!.headers['retry-after']) >= 1);
  });
});
