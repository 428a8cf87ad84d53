import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import { pino } from 'pino';
import { JwksCache } from '../../../../../agent/plugins/jwt/jwks-cache.js';
import { jwtPlugin } from '../../../../../agent/plugins/jwt/jwt.js';
import type { PluginInstance } from '../../../../../agent/plugins/plugin.js';
import { access, createPlugin, fakeContext, pluginEnv, upstream } from '../support/fake-request.js';
import { hmacToken, rawToken } from './jwt-fixtures.js';

const ISSUER = 'https://idp.example/';

interface Kid { readonly kid: string; readonly privateKey: CryptoKey; readonly jwk: JWK }

async function newKey(kid: string, alg: 'RS256' | 'ES256' = 'ES256'): Promise<Kid> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A JWKS endpoint whose key list the test changes; counts the fetches. */
class JwksServer {
  keys: Kid[] = [];
  fetches = 0;
  status = 200;
  readonly #server = http.createServer((req, res) => {
    this.fetches++;
    res.writeHead(this.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: this.keys.map((k) => k.jwk) }));
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

function token(key: Kid, payload: Record<string, unknown> = {}, alg = key.jwk.alg!): Promise<string> {
  return new SignJWT({ iss: ISSUER, sub: 'user-1', ...payload }).setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}

const bearer = (t: string) => fakeContext({ headers: [['Authorization', `Bearer ${t}`]] });

describe('jwt plugin with a JWKS (meshgate extension)', function () {
  this.timeout(20_000);
  const server = new JwksServer();
  // the issuer maps to a consumer by username; no jwt_secret names it
  const consumers = ConsumerIndex.compile({
    _format_version: '3.0',
    consumers: [{ username: ISSUER, acls: [{ group: 'idp' }] }, { username: 'anon' }, { username: 'local', jwt_secrets: [{ key: 'local-key', secret: 'local-secret' }] }],
  });
  let k1: Kid;
  let k2: Kid;
  const make = (extra: Record<string, unknown> = {}): PluginInstance =>
    createPlugin(jwtPlugin, { jwks_uri: server.url, ...extra }, pluginEnv(consumers));

  before(async () => {
    [k1, k2] = [await newKey('k1'), await newKey('k2', 'RS256')];
    await server.start();
  });
  after(() => server.stop());
  beforeEach(() => { server.keys = [k1]; server.fetches = 0; server.status = 200; });

  it('verifies a token by kid and maps its issuer to a consumer; the JWKS is fetched once', async () => {
    const p = make();
    for (let i = 0; i < 3; i++) {
      const ctx = bearer(await token(k1));
      assert.equal(await access(p, ctx), undefined);
      assert.equal(ctx.consumer?.username, ISSUER);
      assert.equal(upstream(ctx, 'X-Credential-Identifier'), ISSUER);
    }
    assert.equal(server.fetches, 1);
  });

  it('an issuer without a consumer is refused before anything is fetched, and falls back to anonymous', async () => {
    const t = await token(k1, { iss: 'https://other.example/' });
    assert.deepEqual((await access(make(), bearer(t)))?.body, { message: "No credentials found for given 'iss'" });
    const ctx = bearer(t);
    assert.equal(await access(make({ anonymous: 'anon' }), ctx), undefined);
    assert.equal(ctx.consumer?.username, 'anon');
    assert.equal(server.fetches, 0);
  });

  it('key rotation: a new kid makes one refetch, then it is accepted', async () => {
    const p = make({ jwks_refetch_cooldown_ms: 0 });
    assert.equal(await access(p, bearer(await token(k1))), undefined);
    server.keys = [k1, k2];
    const ctx = bearer(await token(k2));
    assert.equal(await access(p, ctx), undefined);
    assert.equal(ctx.consumer?.username, ISSUER);
    assert.equal(server.fetches, 2);
  });

  it('the cooldown stops unknown kids from hammering the provider', async () => {
    const p = make({ jwks_refetch_cooldown_ms: 60_000 });
    assert.equal(await access(p, bearer(await token(k1))), undefined);
    server.keys = [k1, k2];
    for (let i = 0; i < 5; i++) {
      const sc = await access(p, bearer(await token({ ...k2, kid: `made-up-${i}` })));
      assert.deepEqual(sc?.body, { message: "No credentials found for given 'kid'" });
    }
    // even the real new key waits for the cooldown
    assert.equal((await access(p, bearer(await token(k2))))?.status, 401);
    assert.equal(server.fetches, 1);
  });

  it('after the cooldown an unknown kid may refetch again', async () => {
    const p = make({ jwks_refetch_cooldown_ms: 100 });
    assert.equal(await access(p, bearer(await token(k1))), undefined);
    server.keys = [k2];
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(await access(p, bearer(await token(k2))), undefined);
    assert.equal(server.fetches, 2);
  });

  it('concurrent requests for a new kid share one fetch', async () => {
    const p = make({ jwks_refetch_cooldown_ms: 0 });
    assert.equal(await access(p, bearer(await token(k1))), undefined);
    server.keys = [k1, k2];
    const t = await token(k2);
    const results = await Promise.all(Array.from({ length: 8 }, () => access(p, bearer(t))));
    assert.deepEqual(results, Array(8).fill(undefined));
    assert.equal(server.fetches, 2);
  });

  it('a failed refetch keeps the last good keys', async () => {
    const p = make({ jwks_refetch_cooldown_ms: 0 });
    assert.equal(await access(p, bearer(await token(k1))), undefined);
    server.status = 500;
    assert.equal((await access(p, bearer(await token(k2))))?.status, 401);
    assert.equal(await access(p, bearer(await token(k1))), undefined);
    assert.equal(server.fetches, 2);
  });

  it('refuses forged, HMAC and expired JWKS tokens', async () => {
    const p = make({ claims_to_verify: ['exp'] });
    const forger = await newKey('k1');
    assert.deepEqual((await access(p, bearer(await token(forger))))?.body, { message: 'Invalid signature' });
    const hs = hmacToken('HS256', { iss: ISSUER }, JSON.stringify(k1.jwk), { kid: 'k1' });
    assert.deepEqual((await access(p, bearer(hs)))?.body, { message: 'Invalid algorithm' });
    const expired = await token(k1, { exp: Math.floor(Date.now() / 1000) - 5 });
    assert.deepEqual((await access(p, bearer(expired)))?.body, { exp: 'token expired' });
    // the token's alg must fit the JWK: the RSA key k2 is no candidate for an "ES256" token
    server.keys = [k1, k2];
    const sig = Buffer.alloc(64, 1).toString('base64url');
    const mismatch = rawToken({ alg: 'ES256', kid: 'k2', typ: 'JWT' }, { iss: ISSUER }, sig);
    assert.deepEqual((await access(make(), bearer(mismatch)))?.body, { message: "No credentials found for given 'kid'" });
  });

  it('jwt_secrets still come first: a configured key claim never goes to the JWKS', async () => {
    const ctx = bearer(hmacToken('HS256', { iss: 'local-key' }, 'local-secret'));
    assert.equal(await access(make(), ctx), undefined);
    assert.equal(ctx.consumer?.username, 'local');
    assert.equal(server.fetches, 0);
  });

  it('issuer and audiences apply to JWKS tokens', async () => {
    const p = make({ issuer: ISSUER, audiences: ['orders'] });
    assert.equal(await access(p, bearer(await token(k1, { aud: 'orders' }))), undefined);
    assert.deepEqual((await access(p, bearer(await token(k1, { aud: 'billing' }))))?.body, { aud: 'invalid audience' });
  });
});

describe('JwksCache', function () {
  const server = new JwksServer();
  let key: Kid;
  before(async () => { key = await newKey('k1'); server.keys = [key]; await server.start(); });
  after(() => server.stop());

  it('serves a set older than max age while it refreshes in the background', async () => {
    const cache = new JwksCache(server.url, { cooldownMs: 0, maxAgeMs: 0, timeoutMs: 2000 }, pino({ level: 'silent' }));
    assert.equal((await cache.keysFor({ alg: 'ES256', kid: 'k1' })).length, 1);
    server.status = 503;
    await new Promise((r) => setTimeout(r, 5));
    assert.equal((await cache.keysFor({ alg: 'ES256', kid: 'k1' })).length, 1, 'the stale set still answers');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(server.fetches, 2);
    assert.equal((await cache.keysFor({ alg: 'ES256', kid: 'k1' })).length, 1, 'a failed refresh kept it');
  });

  it('an unreachable JWKS means no keys, a warning without the query string, and no throw', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => { lines.push(l); } });
    const cache = new JwksCache('http://127.0.0.1:1/jwks?access_key=SECRET', { cooldownMs: 0, maxAgeMs: 1000, timeoutMs: 500 }, log);
    assert.deepEqual(await cache.keysFor({ alg: 'ES256', kid: 'k1' }), []);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /JWKS fetch failed/);
    assert.doesNotMatch(lines[0]!, /SECRET/);
  });
});
