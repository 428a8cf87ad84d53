import assert from 'node:assert/strict';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import { jwtPlugin } from '../../../../../agent/plugins/jwt/jwt.js';
import { access, configIssues, createPlugin, fakeContext, pluginEnv, upstream } from '../support/fake-request.js';
import { hmacToken, makeJwtFixtures, sign, type JwtFixtures } from './jwt-fixtures.js';

describe('jwt plugin options', function () {
  this.timeout(20_000);
  let fx: JwtFixtures;
  let token: string;
  const withConfig = (raw: Record<string, unknown>) => createPlugin(jwtPlugin, raw, pluginEnv(fx.consumers));

  before(async () => {
    fx = await makeJwtFixtures();
    token = await sign(fx.signers.get('HS256')!);
  });

  describe('config', () => {
    it("fills Kong's defaults", () => {
      const { config, issues } = configIssues(jwtPlugin, {});
      assert.deepEqual(issues, []);
      assert.deepEqual(
        [config.uri_param_names, config.cookie_names, config.header_names, config.claims_to_verify, config.key_claim_name,
          config.secret_is_base64, config.run_on_preflight, config.maximum_expiration, config.leeway_s, config.jwks_refetch_cooldown_ms],
        [['jwt'], [], ['authorization'], [], 'iss', false, true, 0, 0, 30_000],
      );
    });

    const rows: readonly [string, Record<string, unknown>, RegExp | null][] = [
      ['a decK dump with nulls', { anonymous: null, realm: null, claims_to_verify: null, cookie_names: null, jwks_uri: null }, null],
      ['maximum_expiration without exp verified', { maximum_expiration: 60 }, /claims_to_verify: must contain "exp"/],
      ['maximum_expiration with exp verified', { maximum_expiration: 60, claims_to_verify: ['exp'] }, null],
      ['an unknown claim to verify', { claims_to_verify: ['iat'] }, /claims_to_verify/],
      ['an unknown field', { secret: 'x' }, /additional properties/],
      ['a JWKS URI that is not http(s)', { jwks_uri: 'file:///etc/passwd' }, /jwks_uri/],
    ];
    for (const [name, raw, want] of rows) {
      it(name, () => {
        const { issues } = configIssues(jwtPlugin, raw);
        if (want === null) assert.deepEqual(issues, []);
        else assert.match(issues.join('\n'), want);
      });
    }
  });

  describe('where the token is found', () => {
    const rows: readonly [string, Record<string, unknown>, Parameters<typeof fakeContext>[0] & object, boolean][] = [
      ['?jwt= by default', {}, { url: '/x?jwt=TOKEN' }, true],
      ['a custom query name', { uri_param_names: ['token'] }, { url: '/x?token=TOKEN' }, true],
      ['?jwt= is ignored when another name is configured', { uri_param_names: ['token'] }, { url: '/x?jwt=TOKEN' }, false],
      ['a cookie', { cookie_names: ['session'] }, { headers: [['Cookie', 'a=1; session=TOKEN; b=2']] }, true],
      ['a cookie that is not configured', {}, { headers: [['Cookie', 'session=TOKEN']] }, false],
      ['lower-case "bearer"', {}, { headers: [['authorization', 'bearer TOKEN']] }, true],
      ['a bare token in the header', {}, { headers: [['Authorization', 'TOKEN']] }, true],
      ['another scheme is not a token', {}, { headers: [['Authorization', 'Basic dXNlcjpwYXNz']] }, false],
      ['"Bearer" without a token is no token', {}, { headers: [['Authorization', 'Bearer']] }, false],
      ['a custom header', { header_names: ['X-Token'] }, { headers: [['x-token', 'Bearer TOKEN']] }, true],
      ['Authorization ignored when other headers are configured', { header_names: ['x-token'] }, { headers: [['Authorization', 'Bearer TOKEN']] }, false],
    ];
    for (const [name, config, init, found] of rows) {
      it(name, async () => {
        const fill = (s: string) => s.replace('TOKEN', token);
        const ctx = fakeContext({
          ...(init.url ? { url: fill(init.url) } : {}),
          ...(init.headers ? { headers: init.headers.map(([n, v]) => [n, fill(v)] as const) } : {}),
        });
        const sc = await access(withConfig(config), ctx);
        if (found) assert.equal(ctx.consumer?.username, 'user-hs256', JSON.stringify(sc));
        else assert.deepEqual(sc?.body, { message: 'Unauthorized' });
      });
    }
  });

  it('reading ?jwt= leaves the query sent upstream as the client wrote it', async () => {
    const ctx = fakeContext({ url: `/x?q=a%20b&jwt=${token}` });
    assert.equal(await access(withConfig({}), ctx), undefined);
    assert.equal(ctx.query, `q=a%20b&jwt=${token}`);
  });

  it('realm goes into both challenges', async () => {
    const p = withConfig({ realm: 'orders' });
    assert.equal((await access(p, fakeContext()))?.headers?.['WWW-Authenticate'], 'Bearer realm="orders"');
    const bad = await access(p, fakeContext({ headers: [['Authorization', 'Bearer a.b']] }));
    assert.equal(bad?.headers?.['WWW-Authenticate'], 'Bearer realm="orders" error="invalid_token"');
  });

  it('key_claim_name "kid" is read from the JWT header', async () => {
    const p = withConfig({ key_claim_name: 'kid' });
    const s = fx.signers.get('ES256')!;
    const ctx = fakeContext({ headers: [['Authorization', `Bearer ${await sign(s, { iss: 'someone-else' }, { kid: s.key })}`]] });
    assert.equal(await access(p, ctx), undefined);
    assert.equal(ctx.consumer?.username, 'user-es256');
    const missing = await access(p, fakeContext({ headers: [['Authorization', `Bearer ${token}`]] }));
    assert.deepEqual(missing?.body, { message: "No mandatory 'kid' in claims" });
  });

  it('a key claim name only present on Object.prototype counts as missing', async () => {
    const sc = await access(withConfig({ key_claim_name: 'constructor' }), fakeContext({ headers: [['Authorization', `Bearer ${token}`]] }));
    assert.deepEqual(sc?.body, { message: "No mandatory 'constructor' in claims" });
  });

  it('secret_is_base64 verifies with the decoded secret bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 251, 252, 0x7f, 0x80, 42, 42, 42, 42]);
    const consumers = ConsumerIndex.compile({ _format_version: '3.0', consumers: [{ username: 'b64', jwt_secrets: [{ key: 'k64', secret: bytes.toString('base64') }] }] });
    const p = createPlugin(jwtPlugin, { secret_is_base64: true }, pluginEnv(consumers));
    const headers: [string, string][] = [['Authorization', `Bearer ${hmacToken('HS256', { iss: 'k64' }, bytes)}`]];
    const ok = fakeContext({ headers });
    assert.equal(await access(p, ok), undefined);
    assert.equal(ok.consumer?.username, 'b64');
    // without the option the base64 text itself is the secret
    const plain = createPlugin(jwtPlugin, {}, pluginEnv(consumers));
    assert.deepEqual((await access(plain, fakeContext({ headers })))?.body, { message: 'Invalid signature' });
  });

  describe('anonymous', () => {
    it('a failed login becomes the anonymous consumer (by username or id)', async () => {
      for (const anonymous of ['anonymous-user', '00000000-0000-4000-8000-00000000a000']) {
        const ctx = fakeContext({ headers: [['Authorization', 'Bearer not.a.token']] });
        assert.equal(await access(withConfig({ anonymous }), ctx), undefined);
        assert.equal(ctx.consumer?.username, 'anonymous-user');
        assert.equal(ctx.anonymous, true);
        assert.equal(ctx.credential, null);
        assert.equal(upstream(ctx, 'X-Anonymous-Consumer'), 'true');
        assert.equal(upstream(ctx, 'X-Credential-Identifier'), undefined);
      }
    });

    it('a valid token still wins over anonymous', async () => {
      const ctx = fakeContext({ headers: [['Authorization', `Bearer ${token}`]] });
      assert.equal(await access(withConfig({ anonymous: 'anonymous-user' }), ctx), undefined);
      assert.equal(ctx.consumer?.username, 'user-hs256');
      assert.equal(ctx.anonymous, false);
    });

    it('a request an earlier auth plugin authenticated is left alone (logical OR)', async () => {
      const ctx = fakeContext();
      const earlier = fx.consumers.find('user-rs256')!;
      ctx.consumer = earlier;
      ctx.credential = { id: 'c1', identifier: 'c1', consumer: earlier };
      assert.equal(await access(withConfig({ anonymous: 'anonymous-user' }), ctx), undefined);
      assert.equal(ctx.consumer, earlier);
      // without anonymous, jwt must succeed on its own (logical AND)
      assert.equal((await access(withConfig({}), ctx))?.status, 401);
    });

    it('an anonymous consumer that does not exist is a 500, like Kong', async () => {
      const sc = await access(withConfig({ anonymous: 'ghost' }), fakeContext());
      assert.equal(sc?.status, 500);
      assert.deepEqual(sc?.body, { message: "anonymous consumer ghost is configured but doesn't exist" });
    });
  });

  describe('run_on_preflight', () => {
    const preflight = { method: 'OPTIONS', headers: [['Origin', 'https://app.example'], ['Access-Control-Request-Method', 'POST']] as [string, string][] };
    it('false: a CORS preflight passes without a token', async () => {
      const ctx = fakeContext(preflight);
      assert.equal(await access(withConfig({ run_on_preflight: false }), ctx), undefined);
      assert.equal(ctx.consumer, null);
    });
    it('false: a bare OPTIONS (not a preflight) still needs a token', async () => {
      assert.equal((await access(withConfig({ run_on_preflight: false }), fakeContext({ method: 'OPTIONS' })))?.status, 401);
    });
    it('true (default): a preflight needs a token', async () => {
      assert.equal((await access(withConfig({}), fakeContext(preflight)))?.status, 401);
    });
  });
});
