import assert from 'node:assert/strict';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import { keyAuthPlugin } from '../../../../../agent/plugins/key-auth/key-auth.js';
import type { PluginInstance } from '../../../../../agent/plugins/plugin.js';
import { access, configIssues, createPlugin, fakeContext, pluginEnv, upstream, type FakeRequestInit } from '../support/fake-request.js';

const consumers = ConsumerIndex.compile({
  _format_version: '3.0',
  consumers: [
    { username: 'alice', custom_id: 'a-1', keyauth_credentials: [{ key: 'alice-key', id: 'cred-alice' }] },
    { username: 'bob', keyauth_credentials: [{ key: 'bob-key' }] },
    { username: 'guest', id: 'guest-id' },
  ],
});
const make = (raw: Record<string, unknown> = {}): PluginInstance => createPlugin(keyAuthPlugin, raw, pluginEnv(consumers));
const form = (body: string): FakeRequestInit => ({ method: 'POST', headers: [['Content-Type', 'application/x-www-form-urlencoded']], body });
const json = (body: unknown): FakeRequestInit => ({ method: 'POST', headers: [['Content-Type', 'application/json; charset=utf-8']], body: JSON.stringify(body) });
const NO_KEY = { status: 401, body: { message: 'No API key found in request' }, headers: { 'WWW-Authenticate': 'Key realm="kong"' } };
const BAD_KEY = { status: 401, body: { message: 'Unauthorized' }, headers: { 'WWW-Authenticate': 'Key realm="kong"' } };
const DUPLICATE = { status: 401, body: { message: 'Duplicate API key found' } };

describe('key-auth plugin', () => {
  it("fills Kong's defaults and rejects unknown fields", () => {
    const { config, issues } = configIssues(keyAuthPlugin, {});
    assert.deepEqual(issues, []);
    assert.deepEqual(config, { key_names: ['apikey'], key_in_header: true, key_in_query: true, key_in_body: false, hide_credentials: false, run_on_preflight: true });
    assert.notDeepEqual(configIssues(keyAuthPlugin, { keyname: 'x' }).issues, []);
    assert.notDeepEqual(configIssues(keyAuthPlugin, { key_names: [] }).issues, []);
    assert.deepEqual(configIssues(keyAuthPlugin, { anonymous: null, realm: null }).issues, []);
  });

  describe('finds the key', () => {
    const rows: readonly [string, Record<string, unknown>, FakeRequestInit, string | null][] = [
      ['in the apikey header', {}, { headers: [['apikey', 'alice-key']] }, 'alice'],
      ['in the header, any case', {}, { headers: [['ApiKey', 'bob-key']] }, 'bob'],
      ['in the query string', {}, { url: '/x?a=1&apikey=alice-key' }, 'alice'],
      ['header before query', {}, { url: '/x?apikey=bob-key', headers: [['apikey', 'alice-key']] }, 'alice'],
      ['under the second of key_names', { key_names: ['x-key', 'apikey'] }, { url: '/x?apikey=bob-key' }, 'bob'],
      ['"a_b" also matches the header "a-b" (Kong normalises)', { key_names: ['api_key'] }, { headers: [['api-key', 'alice-key']] }, 'alice'],
      ['not in the header when key_in_header is off', { key_in_header: false }, { headers: [['apikey', 'alice-key']] }, null],
      ['not in the query when key_in_query is off', { key_in_query: false }, { url: '/?apikey=alice-key' }, null],
      ['not in the body by default', {}, form('apikey=alice-key'), null],
      ['in a form body', { key_in_body: true }, form('x=1&apikey=alice-key'), 'alice'],
      ['in a JSON body', { key_in_body: true }, json({ apikey: 'bob-key', n: 1 }), 'bob'],
      ['not in a JSON body as a number', { key_in_body: true }, json({ apikey: 42 }), null],
      ['not in a text body', { key_in_body: true }, { method: 'POST', headers: [['Content-Type', 'text/plain']], body: 'apikey=alice-key' }, null],
      ['not in broken JSON', { key_in_body: true }, { method: 'POST', headers: [['Content-Type', 'application/json']], body: '{"apikey": ' }, null],
    ];
    for (const [name, config, init, who] of rows) {
      it(name, async () => {
        const ctx = fakeContext(init);
        const sc = await access(make(config), ctx);
        if (who === null) {
          assert.deepEqual(sc, NO_KEY);
          assert.equal(ctx.consumer, null);
        } else {
          assert.equal(sc, undefined);
          assert.equal(ctx.consumer?.username, who);
          assert.equal(upstream(ctx, 'X-Consumer-Username'), who);
        }
      });
    }
  });

  it("sets Kong's consumer headers; X-Credential-Identifier is the credential id", async () => {
    const ctx = fakeContext({ headers: [['apikey', 'alice-key'], ['X-Consumer-Username', 'mallory']] });
    assert.equal(await access(make(), ctx), undefined);
    assert.equal(upstream(ctx, 'X-Consumer-ID'), consumers.find('alice')!.id);
    assert.equal(upstream(ctx, 'X-Consumer-Custom-ID'), 'a-1');
    assert.deepEqual(ctx.upstreamHeaders.getAll('X-Consumer-Username'), ['alice']);
    assert.equal(upstream(ctx, 'X-Credential-Identifier'), 'cred-alice');
    assert.equal(ctx.credential?.id, 'cred-alice');
    assert.equal(upstream(ctx, 'apikey'), 'alice-key', 'kept without hide_credentials');
  });

  it('stays synchronous and leaves the body alone when the key is not in the body', async () => {
    const ctx = fakeContext({ ...form('apikey=bob-key'), url: '/?apikey=alice-key' });
    const r = make({ key_in_body: true }).access!(ctx);
    assert.ok(!(r instanceof Promise));
    assert.equal(ctx.bodyWasRead, false);
  });

  describe('refuses', () => {
    const rows: readonly [string, Record<string, unknown>, FakeRequestInit, unknown][] = [
      ['no key', {}, {}, NO_KEY],
      ['an empty key', {}, { url: '/?apikey=' }, NO_KEY],
      ['an unknown key', {}, { headers: [['apikey', 'nope']] }, BAD_KEY],
      ['a key of another case', {}, { headers: [['apikey', 'ALICE-KEY']] }, BAD_KEY],
      ['a custom realm', { realm: 'orders' }, {}, { ...NO_KEY, headers: { 'WWW-Authenticate': 'Key realm="orders"' } }],
      ['a repeated header', {}, { headers: [['apikey', 'alice-key'], ['apikey', 'alice-key']] }, DUPLICATE],
      ['a repeated query parameter', {}, { url: '/?apikey=alice-key&apikey=bob-key' }, DUPLICATE],
      ['a repeated form field', { key_in_body: true }, form('apikey=a&apikey=b'), DUPLICATE],
      ['a JSON array', { key_in_body: true }, json({ apikey: ['alice-key'] }), DUPLICATE],
    ];
    for (const [name, config, init, want] of rows) {
      it(name, async () => {
        const ctx = fakeContext(init);
        assert.deepEqual(await access(make(config), ctx), want);
        assert.equal(ctx.consumer, null);
        assert.equal(upstream(ctx, 'X-Consumer-ID'), undefined);
      });
    }
  });

  describe('hide_credentials', () => {
    it('removes the key from the upstream headers and query, keeping the rest', async () => {
      const h = fakeContext({ headers: [['apikey', 'alice-key'], ['x-other', '1']] });
      assert.equal(await access(make({ hide_credentials: true }), h), undefined);
      assert.equal(upstream(h, 'apikey'), undefined);
      assert.equal(upstream(h, 'x-other'), '1');
      const q = fakeContext({ url: '/x?a=1&apikey=alice-key&b=2' });
      assert.equal(await access(make({ hide_credentials: true }), q), undefined);
      assert.equal(q.query, 'a=1&b=2');
    });

    it('leaves an unrelated query string untouched (no re-encoding)', async () => {
      const ctx = fakeContext({ url: '/x?q=a%20b', headers: [['apikey', 'alice-key']] });
      assert.equal(await access(make({ hide_credentials: true }), ctx), undefined);
      assert.equal(ctx.query, 'q=a%20b');
    });

    it('rewrites a form or JSON body without the key, with a matching Content-Length', async () => {
      const f = fakeContext(form('x=1&apikey=alice-key&y=2'));
      assert.equal(await access(make({ key_in_body: true, hide_credentials: true }), f), undefined);
      assert.equal(f.upstreamBody?.toString(), 'x=1&y=2');
      assert.equal(upstream(f, 'content-length'), '7');
      const j = fakeContext(json({ apikey: 'bob-key', n: 1 }));
      assert.equal(await access(make({ key_in_body: true, hide_credentials: true }), j), undefined);
      assert.equal(j.upstreamBody?.toString(), '{"n":1}');
    });

    it('also strips a body key when the header carried the key', async () => {
      const ctx = fakeContext({ ...form('apikey=alice-key&x=1'), headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['apikey', 'bob-key']] });
      assert.equal(await access(make({ key_in_body: true, hide_credentials: true }), ctx), undefined);
      assert.equal(ctx.consumer?.username, 'bob');
      assert.equal(ctx.upstreamBody?.toString(), 'x=1');
    });
  });

  describe('anonymous and preflight', () => {
    it('a missing or wrong key becomes the anonymous consumer', async () => {
      for (const init of [{}, { headers: [['apikey', 'nope']] as [string, string][] }]) {
        const ctx = fakeContext(init);
        assert.equal(await access(make({ anonymous: 'guest' }), ctx), undefined);
        assert.equal(ctx.consumer?.id, 'guest-id');
        assert.equal(upstream(ctx, 'X-Anonymous-Consumer'), 'true');
      }
    });

    it('an earlier login is kept when anonymous is set', async () => {
      const ctx = fakeContext();
      const bob = consumers.find('bob')!;
      ctx.consumer = bob;
      ctx.credential = { id: 'jwt-cred', identifier: 'jwt-cred', consumer: bob };
      assert.equal(await access(make({ anonymous: 'guest' }), ctx), undefined);
      assert.equal(ctx.consumer, bob);
    });

    it('run_on_preflight false skips a CORS preflight only', async () => {
      const p = make({ run_on_preflight: false });
      assert.equal(await access(p, fakeContext({ method: 'OPTIONS', headers: [['Origin', 'https://a.example'], ['Access-Control-Request-Method', 'GET']] })), undefined);
      assert.deepEqual(await access(p, fakeContext({ method: 'OPTIONS' })), NO_KEY);
      assert.deepEqual(await access(p, fakeContext({ method: 'OPTIONS', headers: [['Origin', 'https://a.example']] })), NO_KEY);
      assert.deepEqual(await access(p, fakeContext({ method: 'OPTIONS', headers: [['Access-Control-Request-Method', 'GET']] })), NO_KEY);
      assert.deepEqual(await access(p, fakeContext({ method: 'GET', headers: [['Origin', 'https://a.example'], ['Access-Control-Request-Method', 'GET']] })), NO_KEY);
    });
  });
});
