import assert from 'node:assert/strict';
import { jwtPlugin } from '../../../../../agent/plugins/jwt/jwt.js';
import type { PluginInstance, ShortCircuit } from '../../../../../agent/plugins/plugin.js';
import { access, createPlugin, fakeContext, pluginEnv, upstream } from '../support/fake-request.js';
import { ALGORITHMS, hmacToken, makeJwtFixtures, nowS, rawToken, sign, b64url, type JwtFixtures } from './jwt-fixtures.js';

const bearer = (t: string) => ({ headers: [['Authorization', `Bearer ${t}`]] as [string, string][] });
const INVALID_TOKEN = 'Bearer error="invalid_token"';

function assertRefused(sc: ShortCircuit | undefined, body: unknown, www = INVALID_TOKEN): void {
  assert.ok(sc, 'expected a short-circuit');
  assert.equal(sc.status, 401);
  assert.deepEqual(sc.body, body);
  assert.equal(sc.headers?.['WWW-Authenticate'], www);
}

describe('jwt plugin', function () {
  this.timeout(20_000);
  let fx: JwtFixtures;
  let plugin: PluginInstance;
  const withConfig = (raw: Record<string, unknown>) => createPlugin(jwtPlugin, raw, pluginEnv(fx.consumers));
  const signer = (alg: (typeof ALGORITHMS)[number]) => fx.signers.get(alg)!;

  before(async () => {
    fx = await makeJwtFixtures();
    plugin = withConfig({});
  });

  describe('accepts a valid token for every algorithm', () => {
    for (const alg of ALGORITHMS) {
      it(`${alg}: authenticates the consumer owning the secret and sets Kong's upstream headers`, async () => {
        const s = signer(alg);
        const token = await sign(s, { sub: 'x' });
        const ctx = fakeContext(bearer(token));
        assert.equal(await access(plugin, ctx), undefined);
        assert.equal(ctx.consumer?.username, s.username);
        assert.equal(upstream(ctx, 'X-Consumer-Username'), s.username);
        assert.equal(upstream(ctx, 'X-Consumer-Custom-ID'), `cid-${alg}`);
        assert.equal(upstream(ctx, 'X-Consumer-ID'), ctx.consumer?.id);
        assert.equal(upstream(ctx, 'X-Credential-Identifier'), s.key);
        assert.equal(upstream(ctx, 'X-Anonymous-Consumer'), undefined);
        assert.equal(ctx.shared.get('authenticated_jwt_token'), token);
      });
    }

    it('answers HMAC tokens synchronously (no promise on the hot path)', async () => {
      const ctx = fakeContext(bearer(await sign(signer('HS256'))));
      const r = plugin.access!(ctx);
      assert.ok(!(r instanceof Promise));
      assert.equal(ctx.consumer?.username, 'user-hs256');
    });

    it('replaces consumer headers the client sent itself', async () => {
      const ctx = fakeContext({ headers: [['Authorization', `Bearer ${await sign(signer('HS256'))}`], ['X-Consumer-Username', 'admin'], ['X-Anonymous-Consumer', 'true']] });
      assert.equal(await access(plugin, ctx), undefined);
      assert.deepEqual(ctx.upstreamHeaders.getAll('x-consumer-username'), ['user-hs256']);
      assert.equal(upstream(ctx, 'X-Anonymous-Consumer'), undefined);
    });
  });

  describe('refuses with Kong messages (401, never 500)', () => {
    const rows: readonly [string, () => Promise<string> | string, unknown][] = [
      ['HS256 signed with another secret', () => hmacToken('HS256', { iss: 'key-HS256' }, 'wrong-secret'), { message: 'Invalid signature' }],
      ['payload changed after signing', async () => {
        const [h, , s] = (await sign(signer('HS256'), { admin: false })).split('.');
        return `${h}.${b64url({ iss: 'key-HS256', admin: true })}.${s}`;
      }, { message: 'Invalid signature' }],
      ['RS256 signed by an unregistered key', () => sign({ ...signer('RS256'), signingKey: fx.strangerRsa }), { message: 'Invalid signature' }],
      ['ES256 with a signature of the wrong length', async () => `${(await sign(signer('ES256'))).slice(0, -10)}`, { message: 'Invalid signature' }],
      ['alg none', () => rawToken({ alg: 'none', typ: 'JWT' }, { iss: 'key-HS256' }), { message: 'Bad token; invalid alg' }],
      ['alg missing', () => rawToken({ typ: 'JWT' }, { iss: 'key-HS256' }, 'c2ln'), { message: 'Bad token; invalid alg' }],
      ['algorithm confusion: HS256 keyed with the RS256 public key', () => hmacToken('HS256', { iss: 'key-RS256' }, signer('RS256').verifyMaterial), { message: 'Invalid algorithm' }],
      ['HS512 token for an HS256 secret', () => hmacToken('HS512', { iss: 'key-HS256' }, signer('HS256').verifyMaterial), { message: 'Invalid algorithm' }],
      ['RS256 token for an ES256 secret', () => sign({ ...signer('RS256'), key: 'key-ES256' }), { message: 'Invalid algorithm' }],
      ['unknown iss', () => hmacToken('HS256', { iss: 'nobody' }, 'x'), { message: "No credentials found for given 'iss'" }],
      ['no iss at all', () => hmacToken('HS256', { sub: 'x' }, 'x'), { message: "No mandatory 'iss' in claims" }],
      ['empty iss', () => hmacToken('HS256', { iss: '' }, 'x'), { message: "Invalid 'iss' in claims" }],
      ['iss that is an object', () => hmacToken('HS256', { iss: { a: 1 } }, 'x'), { message: "Invalid 'iss' in claims" }],
      ['one part', () => 'abcdef', { message: 'Bad token; invalid serialization' }],
      ['two parts', () => 'abc.def', { message: 'Bad token; invalid serialization' }],
      ['four parts', () => 'a.b.c.d', { message: 'Bad token; invalid serialization' }],
      ['JWE (five parts)', () => 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d', { message: 'Bad token; invalid serialization' }],
      ['over 8 KiB, refused before decoding', () => rawToken({ alg: 'HS256' }, { iss: 'key-HS256', pad: 'x'.repeat(8192) }, 'c2ln'), { message: 'Bad token; too large' }],
      ['header not base64', () => `!!!.${b64url({ iss: 'key-HS256' })}.sig`, { message: 'Bad token; invalid JSON' }],
      ['payload not JSON', () => `${b64url({ alg: 'HS256' })}.${b64url('{"iss": nope')}.c2ln`, { message: 'Bad token; invalid JSON' }],
      ['payload a JSON array', () => rawToken({ alg: 'HS256' }, ['key-HS256'], 'c2ln'), { message: 'Bad token; invalid JSON' }],
      ['header a JSON string', () => rawToken('"HS256"', { iss: 'key-HS256' }, 'c2ln'), { message: 'Bad token; invalid JSON' }],
      ['signature not base64', () => rawToken({ alg: 'HS256' }, { iss: 'key-HS256' }, 'a*b'), { message: 'Bad token; invalid signature' }],
      ['typ that is not JWT', () => rawToken({ alg: 'HS256', typ: 'JWE' }, { iss: 'key-HS256' }, 'c2ln'), { message: 'Bad token; invalid typ' }],
      ['HS256 secret without a secret value', () => hmacToken('HS256', { iss: 'key-no-secret' }, ''), { message: 'Invalid key/secret' }],
      ['RS256 secret whose PEM cannot be read', () => sign({ ...signer('RS256'), key: 'key-bad-pem' }), { message: 'Invalid key/secret' }],
    ];
    for (const [name, make, body] of rows) {
      it(name, async () => {
        const ctx = fakeContext(bearer(await make()));
        assertRefused(await access(plugin, ctx), body);
        assert.equal(ctx.consumer, null);
        assert.equal(upstream(ctx, 'X-Consumer-ID'), undefined);
      });
    }

    it('no token: "Unauthorized" with a bare Bearer challenge', async () => {
      assertRefused(await access(plugin, fakeContext()), { message: 'Unauthorized' }, 'Bearer');
    });

    it('two different tokens: "Multiple tokens provided"; the same token twice is one token', async () => {
      const [a, b] = [await sign(signer('HS256')), await sign(signer('HS384'))];
      assertRefused(await access(plugin, fakeContext({ url: `/?jwt=${a}`, ...bearer(b) })), { message: 'Multiple tokens provided' });
      assertRefused(await access(plugin, fakeContext({ url: `/?jwt=${a}&jwt=${b}` })), { message: 'Multiple tokens provided' });
      assertRefused(await access(plugin, fakeContext({ headers: [['Authorization', `Bearer ${a}`], ['Authorization', `Bearer ${b}`]] })), { message: 'Multiple tokens provided' });
      const same = fakeContext({ url: `/?jwt=${a}`, ...bearer(a) });
      assert.equal(await access(plugin, same), undefined);
      assert.equal(same.consumer?.username, 'user-hs256');
    });
  });

  describe('claims', () => {
    const hs = () => signer('HS256');
    // payloads are made at run time from the current second n, so boundaries stay exact
    const rows: readonly [string, Record<string, unknown>, (n: number) => Record<string, unknown>, unknown][] = [
      ['expired, exp not verified (Kong default)', {}, (n) => ({ exp: n - 100 }), undefined],
      ['expired', { claims_to_verify: ['exp'] }, (n) => ({ exp: n - 100 }), { exp: 'token expired' }],
      ['exp exactly now is expired', { claims_to_verify: ['exp'] }, (n) => ({ exp: n }), { exp: 'token expired' }],
      ['exp in the future', { claims_to_verify: ['exp'] }, (n) => ({ exp: n + 100 }), undefined],
      ['exp missing while verified', { claims_to_verify: ['exp'] }, () => ({}), { exp: 'must be a number' }],
      ['exp a string', { claims_to_verify: ['exp'] }, (n) => ({ exp: String(n + 100) }), { exp: 'must be a number' }],
      ['not valid yet', { claims_to_verify: ['nbf'] }, (n) => ({ nbf: n + 100 }), { nbf: 'token not valid yet' }],
      ['nbf in the past', { claims_to_verify: ['nbf'] }, (n) => ({ nbf: n - 100 }), undefined],
      ['both fail', { claims_to_verify: ['exp', 'nbf'] }, (n) => ({ exp: n - 10, nbf: n + 10 }), { exp: 'token expired', nbf: 'token not valid yet' }],
      ['expired within the leeway', { claims_to_verify: ['exp'], leeway_s: 30 }, (n) => ({ exp: n - 10 }), undefined],
      ['expired beyond the leeway', { claims_to_verify: ['exp'], leeway_s: 30 }, (n) => ({ exp: n - 60 }), { exp: 'token expired' }],
      ['nbf within the leeway', { claims_to_verify: ['nbf'], leeway_s: 30 }, (n) => ({ nbf: n + 10 }), undefined],
      ['maximum_expiration: exp too far ahead', { claims_to_verify: ['exp'], maximum_expiration: 60 }, (n) => ({ exp: n + 3600 }), { exp: 'exceeds maximum allowed expiration' }],
      ['maximum_expiration: exp close enough', { claims_to_verify: ['exp'], maximum_expiration: 60 }, (n) => ({ exp: n + 30 }), undefined],
      ['maximum_expiration: expired wins over too far', { claims_to_verify: ['exp'], maximum_expiration: 60 }, (n) => ({ exp: n - 1 }), { exp: 'token expired' }],
      ['issuer matches', { issuer: 'key-HS256' }, () => ({}), undefined],
      ['issuer differs', { issuer: 'https://idp.example' }, () => ({}), { iss: 'invalid issuer' }],
      ['audience matches (string)', { audiences: ['api', 'web'] }, () => ({ aud: 'web' }), undefined],
      ['audience matches (array)', { audiences: ['api'] }, () => ({ aud: ['other', 'api'] }), undefined],
      ['audience differs', { audiences: ['api'] }, () => ({ aud: 'other' }), { aud: 'invalid audience' }],
      ['audience missing', { audiences: ['api'] }, () => ({}), { aud: 'invalid audience' }],
    ];
    for (const [name, config, payload, body] of rows) {
      it(name, async () => {
        const ctx = fakeContext(bearer(await sign(hs(), payload(nowS()))));
        const sc = await access(withConfig(config), ctx);
        if (body === undefined) {
          assert.equal(sc, undefined);
          assert.equal(ctx.consumer?.username, 'user-hs256');
        } else {
          assertRefused(sc, body);
          assert.equal(ctx.consumer, null);
        }
      });
    }
  });
});
