// The authentication plugins end to end on a plain decK file: jwt (HS256 and RS256 consumers),
// key-auth (header, query, body, hide_credentials), acl, and Kong's "logical OR" with anonymous.
// What the client gets (status, Kong's message, WWW-Authenticate) and what the sample upstream
// saw (it echoes the request headers, path and body size).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { SignJWT, exportSPKI, generateKeyPair, type CryptoKey } from 'jose';
import { useHarness, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import type { Echo, HttpResult } from '../support/http.js';

const ALICE_ID = '6a0e2b1c-1111-4a7e-9c39-0000000a11ce';
const BOB_ID = '6a0e2b1c-2222-4a7e-9c39-000000000b0b';
const GUEST_ID = '6a0e2b1c-3333-4a7e-9c39-00000000c0de';
const ALICE_KEY_ID = '6a0e2b1c-4444-4a7e-9c39-0000000a11ce';
const BOB_KEY_ID = '6a0e2b1c-5555-4a7e-9c39-000000000b0b';
const ALICE_SECRET = 'alice-hs256-secret-for-integration-tests';

type Plugin = { name: string; config?: Record<string, unknown> };

function deck(upstream: ServiceHandle, bobPem: string, routes: Record<string, Plugin[]>): Record<string, unknown> {
  return {
    _format_version: '3.0',
    services: [{
      name: 'echo', url: `http://127.0.0.1:${upstream.port}`,
      routes: Object.entries(routes).map(([name, plugins]) => ({ name, paths: [`/${name}`], strip_path: false, plugins })),
    }],
    consumers: [
      {
        username: 'alice', id: ALICE_ID, custom_id: 'crm-1',
        jwt_secrets: [{ key: 'alice-iss', algorithm: 'HS256', secret: ALICE_SECRET }],
        keyauth_credentials: [{ key: 'alice-key', id: ALICE_KEY_ID }],
        acls: [{ group: 'admin' }],
      },
      {
        username: 'bob', id: BOB_ID,
        jwt_secrets: [{ key: 'bob-iss', algorithm: 'RS256', rsa_public_key: bobPem }],
        keyauth_credentials: [{ key: 'bob-key', id: BOB_KEY_ID }],
        acls: [{ group: 'staff' }],
      },
      { username: 'guest', id: GUEST_ID, acls: [{ group: 'anonymous' }] },
    ],
  };
}

const header = (r: HttpResult, name: string): string | undefined => {
  const v = r.headers[name];
  return Array.isArray(v) ? v.join(' | ') : v;
};

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

function assertRefused(r: HttpResult, status: number, body: Record<string, unknown>, www?: string): void {
  assert.equal(r.status, status, r.text);
  const got = r.json();
  for (const [k, v] of Object.entries(body)) assert.deepEqual(got[k], v, r.text);
  assert.equal(header(r, 'www-authenticate'), www);
}

describe('auth plugins end to end (decK, one edge)', function () {
  this.timeout(30_000);
  const harness = useHarness('plugins-auth', { consul: false });
  let web: ServiceHandle;
  let edge: AgentHandle;
  let bobKey: CryptoKey;
  let bobPem: string;

  const hs256 = (payload: Record<string, unknown>) => new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(ALICE_SECRET));
  const rs256 = (payload: Record<string, unknown>) => new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(bobKey);
  const get = (path: string, headers: Record<string, string> = {}) => harness().http.get(`${edge.url}${path}`, { headers });

  before(async function () {
    const h = harness();
    const pair = await generateKeyPair('RS256');
    bobKey = pair.privateKey;
    bobPem = await exportSPKI(pair.publicKey);
    web = await h.startService('web', 'web-1');
    edge = await h.startDeck('deck-auth', deck(web, bobPem, {
      jwt: [{ name: 'jwt', config: { claims_to_verify: ['exp'] } }],
      key: [{ name: 'key-auth', config: { hide_credentials: true } }],
      'key-body': [{ name: 'key-auth', config: { key_in_body: true, hide_credentials: true } }],
      admin: [{ name: 'key-auth' }, { name: 'acl', config: { allow: ['admin'] } }],
      either: [
        { name: 'jwt', config: { anonymous: 'guest' } },
        { name: 'key-auth', config: { anonymous: 'guest' } },
        { name: 'acl', config: { deny: ['anonymous'] } },
      ],
    }));
  });

  describe('jwt', () => {
    it('refuses a request without a token before the upstream', async () => {
      const served = await web.served();
      assertRefused(await get('/jwt'), 401, { message: 'Unauthorized' }, 'Bearer');
      assert.equal(await web.served(), served);
    });

    it('passes an HS256 consumer with Kong headers upstream', async () => {
      const r = await get('/jwt', { Authorization: `Bearer ${await hs256({ iss: 'alice-iss', exp: Math.floor(Date.now() / 1000) + 60 })}`, 'X-Consumer-Username': 'mallory' });
      assert.equal(r.status, 200, r.text);
      const seen = r.json<Echo>().headers;
      assert.equal(seen['x-consumer-username'], 'alice');
      assert.equal(seen['x-consumer-id'], ALICE_ID);
      assert.equal(seen['x-consumer-custom-id'], 'crm-1');
      assert.equal(seen['x-credential-identifier'], 'alice-iss');
      assert.equal(seen['x-anonymous-consumer'], undefined);
    });

    it('passes an RS256 consumer, from the ?jwt= query too', async () => {
      const token = await rs256({ iss: 'bob-iss', exp: Math.floor(Date.now() / 1000) + 60 });
      const r = await get(`/jwt?jwt=${token}`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json<Echo>().headers['x-consumer-username'], 'bob');
      assert.equal(r.json<Echo>().headers['x-consumer-id'], BOB_ID);
    });

    it("answers Kong's messages for bad tokens", async () => {
      const invalid = 'Bearer error="invalid_token"';
      const expired = await hs256({ iss: 'alice-iss', exp: Math.floor(Date.now() / 1000) - 5 });
      assertRefused(await get('/jwt', { Authorization: `Bearer ${expired}` }), 401, { exp: 'token expired' }, invalid);
      // HS256 "signed" with bob's public key: algorithm confusion
      const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iss: 'bob-iss', exp: Math.floor(Date.now() / 1000) + 60 })}`;
      const confused = `${input}.${createHmac('sha256', bobPem).update(input).digest('base64url')}`;
      assertRefused(await get('/jwt', { Authorization: `Bearer ${confused}` }), 401, { message: 'Invalid algorithm' }, invalid);
      const none = `${b64({ alg: 'none' })}.${b64({ iss: 'alice-iss' })}.`;
      assertRefused(await get('/jwt', { Authorization: `Bearer ${none}` }), 401, { message: 'Bad token; invalid alg' }, invalid);
      assertRefused(await get('/jwt', { Authorization: 'Bearer not-a-jwt' }), 401, { message: 'Bad token; invalid serialization' }, invalid);
      const stranger = await hs256({ iss: 'carol-iss', exp: Math.floor(Date.now() / 1000) + 60 });
      assertRefused(await get('/jwt', { Authorization: `Bearer ${stranger}` }), 401, { message: "No credentials found for given 'iss'" }, invalid);
    });
  });

  describe('key-auth', () => {
    it('401s without a key or with an unknown one', async () => {
      assertRefused(await get('/key'), 401, { message: 'No API key found in request' }, 'Key realm="kong"');
      assertRefused(await get('/key', { apikey: 'nope' }), 401, { message: 'Unauthorized' }, 'Key realm="kong"');
    });

    it('authenticates by header or query and hides the key from the upstream', async () => {
      const byHeader = await get('/key', { apikey: 'alice-key' });
      assert.equal(byHeader.status, 200, byHeader.text);
      const seen = byHeader.json<Echo>();
      assert.equal(seen.headers['x-consumer-username'], 'alice');
      assert.equal(seen.headers['x-credential-identifier'], ALICE_KEY_ID);
      assert.equal(seen.headers.apikey, undefined);
      const byQuery = await get('/key?a=1&apikey=bob-key&b=2');
      assert.equal(byQuery.status, 200, byQuery.text);
      assert.equal(byQuery.json<Echo>().headers['x-consumer-id'], BOB_ID);
      assert.equal(byQuery.json<Echo>().path, '/key?a=1&b=2');
    });

    it('reads a form body and forwards it without the key', async () => {
      const r = await harness().http.post(`${edge.url}/key-body`, 'x=1&apikey=alice-key', { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json<Echo>().headers['x-consumer-username'], 'alice');
      assert.equal(r.json<Echo>().bodyBytes, 'x=1'.length);
    });
  });

  describe('acl', () => {
    it('lets an allowed group through with X-Consumer-Groups and forbids the others', async () => {
      const ok = await get('/admin', { apikey: 'alice-key' });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json<Echo>().headers['x-consumer-groups'], 'admin');
      assertRefused(await get('/admin', { apikey: 'bob-key' }), 403, { message: 'You cannot consume this service' });
    });

    it('jwt or key-auth with anonymous: either login passes, none is the blocked anonymous consumer', async () => {
      assertRefused(await get('/either'), 403, { message: 'You cannot consume this service' });
      const byKey = await get('/either', { apikey: 'bob-key' });
      assert.equal(byKey.status, 200, byKey.text);
      assert.equal(byKey.json<Echo>().headers['x-consumer-username'], 'bob');
      const token = await hs256({ iss: 'alice-iss' });
      const byJwt = await get('/either', { Authorization: `Bearer ${token}` });
      assert.equal(byJwt.status, 200, byJwt.text);
      assert.equal(byJwt.json<Echo>().headers['x-consumer-username'], 'alice');
      assert.equal(byJwt.json<Echo>().headers['x-anonymous-consumer'], undefined);
    });
  });
});
