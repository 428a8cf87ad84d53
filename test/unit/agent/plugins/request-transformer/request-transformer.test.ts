import assert from 'node:assert/strict';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import { RequestContext } from '../../../../../agent/plugins/context.js';
import type { PluginInstance } from '../../../../../agent/plugins/plugin.js';
import { MAX_TRANSFORM_BODY_BYTES } from '../../../../../agent/plugins/request-transformer/body.js';
import { requestTransformerPlugin } from '../../../../../agent/plugins/request-transformer/request-transformer.js';
import { access, configIssues, createPlugin, fakeRequest, pluginEnv, type FakeRequestInit } from '../support/fake-request.js';

const env = pluginEnv(new ConsumerIndex());

function transformer(config: Record<string, unknown>): PluginInstance {
  return createPlugin(requestTransformerPlugin, config, env);
}

/** The edge's context for a route `~/users/(?<id>\d+)` with the client's headers plus a rewritten Host and X-Forwarded-For. */
function context(init: FakeRequestInit & { captures?: Record<string, string> }): RequestContext {
  const req = fakeRequest(init);
  const url = init.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const upstream = req.rawHeaders.filter((_, i, a) => a[i - (i % 2)]!.toLowerCase() !== 'host');
  upstream.push('host', 'users-upstream', 'x-forwarded-for', '10.0.0.1', 'x-real-ip', '10.0.0.1');
  return new RequestContext({
    req, requestId: 'rid', clientIp: '10.0.0.1', route: { name: 'r1', service: 's1' }, path, query: q < 0 ? '' : url.slice(q + 1),
    captures: init.captures ?? {}, upstreamPath: path, upstreamHeaders: upstream,
  });
}

async function run(config: Record<string, unknown>, init: FakeRequestInit & { captures?: Record<string, string> }): Promise<RequestContext> {
  const ctx = context(init);
  const sc = await access(transformer(config), ctx);
  assert.equal(sc, undefined, `no short-circuit: ${JSON.stringify(sc)}`);
  return ctx;
}

describe('request-transformer plugin', () => {
  describe('config', () => {
    const cases: { name: string; config: Record<string, unknown>; issue: RegExp | null }[] = [
      { name: 'defaults', config: {}, issue: null },
      { name: 'remove takes bare names', config: { remove: { headers: ['x-a'], querystring: ['q'], body: ['b'] } }, issue: null },
      { name: 'add needs name:value', config: { add: { headers: ['x-a'] } }, issue: /must match pattern/ },
      { name: 'a header name that is not a token', config: { add: { headers: ['x a:1'] } }, issue: /add\.headers\.0: .*not a valid header name/ },
      { name: 'a rename target that is not a token', config: { rename: { headers: ['x-a:'] } }, issue: /rename\.headers\.0/ },
      { name: 'supported templates', config: { add: { headers: ['x-a:$(headers["x-b"] or "none")', 'x-c:$(query_params.q)$(uri_captures.id)$(shared.k)'] }, replace: { uri: '/v2/$(uri_captures["id"])' } }, issue: null },
      { name: 'arbitrary Lua is refused', config: { add: { body: ['a:$(os.getenv("HOME"))'] } }, issue: /add\.body\.0: unsupported template expression/ },
      { name: 'a bad template in replace.uri', config: { replace: { uri: '/$(headers.x .. "y")' } }, issue: /replace\.uri: unsupported/ },
      { name: 'http_method must be upper case', config: { http_method: 'get' }, issue: /http_method/ },
      { name: 'decK nulls', config: { http_method: null, replace: { uri: null } }, issue: null },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.issue === null ? 'accepted' : 'refused'}`, () => {
        const { issues } = configIssues(requestTransformerPlugin, c.config);
        if (c.issue === null) assert.deepEqual(issues, []);
        else assert.ok(issues.some((i) => c.issue!.test(i)), issues.join('\n'));
      });
    }
  });

  describe('headers: remove → rename → replace → add → append', () => {
    const cases: { name: string; config: Record<string, unknown>; headers: [string, string][]; want: Record<string, string[]> }[] = [
      { name: 'remove before add: the added value wins', config: { remove: { headers: ['x-a'] }, add: { headers: ['x-a:new'] } }, headers: [['X-A', 'old']], want: { 'x-a': ['new'] } },
      { name: 'rename before replace: the renamed header is replaced', config: { rename: { headers: ['x-old:x-new'] }, replace: { headers: ['x-new:r'] } }, headers: [['X-Old', 'o']], want: { 'x-old': [], 'x-new': ['r'] } },
      { name: 'rename moves every value and replaces the target', config: { rename: { headers: ['x-old:x-new'] } }, headers: [['X-Old', '1'], ['x-old', '2'], ['X-New', 'gone']], want: { 'x-old': [], 'x-new': ['1', '2'] } },
      { name: 'rename of an absent header does nothing', config: { rename: { headers: ['x-old:x-new'] } }, headers: [['X-New', 'kept']], want: { 'x-new': ['kept'] } },
      { name: 'add only if absent', config: { add: { headers: ['x-a:added', 'x-b:added'] } }, headers: [['X-A', 'client']], want: { 'x-a': ['client'], 'x-b': ['added'] } },
      { name: 'replace only if present', config: { replace: { headers: ['x-a:r', 'x-b:r'] } }, headers: [['X-A', '1'], ['X-A', '2']], want: { 'x-a': ['r'], 'x-b': [] } },
      { name: 'append makes it multi-valued', config: { append: { headers: ['x-a:2', 'x-a:3'] } }, headers: [['X-A', '1']], want: { 'x-a': ['1', '2', '3'] } },
      { name: 'names compare case-insensitively', config: { remove: { headers: ['X-TOKEN'] } }, headers: [['x-token', 't']], want: { 'x-token': [] } },
      { name: 'Kong\'s value split: extra colons dropped, later ones kept', config: { add: { headers: ['x-url::http://a:1/'] } }, headers: [], want: { 'x-url': ['http://a:1/'] } },
      { name: 'an empty value does nothing', config: { add: { headers: ['x-a:'] } }, headers: [], want: { 'x-a': [] } },
      { name: 'replace may set the upstream Host', config: { replace: { headers: ['host:other.internal'] } }, headers: [['Host', 'api.example.com']], want: { host: ['other.internal'] } },
      {
        name: 'headers the proxy owns are left alone',
        config: { remove: { headers: ['x-real-ip', 'host'] }, add: { headers: ['transfer-encoding:chunked'] }, replace: { headers: ['x-forwarded-for:1.2.3.4'] }, append: { headers: ['content-length:5'] } },
        headers: [], want: { 'x-real-ip': ['10.0.0.1'], host: ['users-upstream'], 'transfer-encoding': [], 'x-forwarded-for': ['10.0.0.1'], 'content-length': [] },
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const ctx = await run(c.config, { headers: c.headers });
        for (const [name, values] of Object.entries(c.want)) assert.deepEqual(ctx.upstreamHeaders.getAll(name), values, name);
      });
    }
  });

  describe('templates, evaluated per request', () => {
    const request = {
      url: '/users/42?q=search%20me&multi=1&multi=2&crlf=a%0D%0AX-Evil:%201',
      headers: [['Host', 'api.example.com'], ['X-User-Id', 'u-7'], ['X-Token', 'secret']] as [string, string][],
      captures: { id: '42' },
    };
    const cases: { template: string; want: string }[] = [
      { template: '$(headers["x-user-id"])', want: 'u-7' },
      { template: '$(headers.x_user_id)', want: 'u-7' },
      { template: '$(headers.host)', want: 'api.example.com' },
      { template: '$(query_params.q)', want: 'search me' },
      { template: '$(query_params["multi"])', want: '1' },
      { template: '$(uri_captures.id)', want: '42' },
      { template: 'user=$(uri_captures["id"]);q=$(query_params.q)', want: 'user=42;q=search me' },
      { template: '$(headers.missing)', want: '' },
      { template: '$(headers.missing or "anonymous")', want: 'anonymous' },
      { template: "$('$(headers.x)')", want: '$(headers.x)' },
      { template: 'unbalanced $(headers.x', want: 'unbalanced $(headers.x' },
      { template: '$(query_params.crlf)', want: 'aX-Evil: 1' },
      // templates read the request as it reached the plugin, before its own edits
      { template: '$(headers["x-token"])', want: 'secret' },
    ];
    for (const c of cases) {
      it(`${c.template} → ${JSON.stringify(c.want)}`, async () => {
        const ctx = await run({ remove: { headers: ['x-token'] }, add: { headers: [`x-out:${c.template}`] } }, request);
        assert.deepEqual(ctx.upstreamHeaders.getAll('x-out'), c.want === '' ? [''] : [c.want]);
        assert.equal(ctx.upstreamHeaders.get('x-token'), undefined);
      });
    }

    it('each request gets its own values', async () => {
      const p = transformer({ add: { headers: ['x-out:$(uri_captures.id)'] } });
      for (const id of ['1', '2']) {
        const ctx = context({ captures: { id } });
        await access(p, ctx);
        assert.equal(ctx.upstreamHeaders.get('x-out'), id);
      }
    });
  });

  describe('replace.uri', () => {
    const cases: { name: string; uri: string; url: string; headers?: [string, string][]; want: string }[] = [
      { name: 'a capture', uri: '/v2/users/$(uri_captures.id)', url: '/users/42', want: '/v2/users/42' },
      { name: 'a header value is one encoded segment', uri: '/t/$(headers["x-tenant"])/x', url: '/users/42', headers: [['X-Tenant', 'a/../b?c#d']], want: '/t/a%2F..%2Fb%3Fc%23d/x' },
      { name: 'a dot segment from the client is defused', uri: '/t/$(query_params.t)/admin', url: '/users/42?t=..', want: '/t/%2E%2E/admin' },
      { name: 'a leading slash is added', uri: 'plain', url: '/users/42', want: '/plain' },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const ctx = await run({ replace: { uri: c.uri } }, { url: c.url, headers: c.headers ?? [], captures: { id: '42' } });
        assert.equal(ctx.upstreamPath, c.want);
      });
    }
  });

  describe('querystring', () => {
    const cases: { name: string; config: Record<string, unknown>; query: string; want: string }[] = [
      { name: 'remove', config: { remove: { querystring: ['apikey'] } }, query: 'a=1&apikey=k', want: 'a=1' },
      { name: 'rename keeps every value', config: { rename: { querystring: ['a:b'] } }, query: 'a=1&a=2&c=3', want: 'c=3&b=1&b=2' },
      { name: 'rename of an absent param keeps the target (Kong would delete it)', config: { rename: { querystring: ['a:b'] } }, query: 'b=kept', want: 'b=kept' },
      { name: 'replace only if present', config: { replace: { querystring: ['a:r', 'z:r'] } }, query: 'a=1', want: 'a=r' },
      { name: 'add only if absent', config: { add: { querystring: ['a:x', 'b:2'] } }, query: 'a=1', want: 'a=1&b=2' },
      { name: 'append', config: { append: { querystring: ['a:2'] } }, query: 'a=1', want: 'a=1&a=2' },
      { name: 'order: remove then add', config: { remove: { querystring: ['a'] }, add: { querystring: ['a:fresh'] } }, query: 'a=1', want: 'a=fresh' },
      { name: 'a template', config: { add: { querystring: ['user:$(headers["x-user"])'] } }, query: '', want: 'user=u+1' },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const ctx = await run(c.config, { url: `/users/42${c.query ? `?${c.query}` : ''}`, headers: [['X-User', 'u 1']] });
        assert.equal(ctx.query, c.want);
      });
    }
  });

  describe('body', () => {
    const json = (body: string, extra: [string, string][] = []): FakeRequestInit => ({
      method: 'POST', body, headers: [['Content-Type', 'application/json; charset=utf-8'], ['Content-Length', String(Buffer.byteLength(body))], ...extra],
    });
    const ops = { remove: { body: ['secret'] }, rename: { body: ['old:new'] }, replace: { body: ['role:user'] }, add: { body: ['source:gw', 'role:admin'] }, append: { body: ['tags:t2'] } };

    it('edits a JSON object in Kong\'s order and fixes Content-Length', async () => {
      const ctx = await run(ops, json('{"secret":"s","old":1,"role":"root","tags":"t1","keep":true}'));
      assert.ok(ctx.upstreamBody);
      assert.deepEqual(JSON.parse(ctx.upstreamBody.toString()), { new: 1, role: 'user', tags: ['t1', 't2'], keep: true, source: 'gw' });
      assert.equal(ctx.upstreamHeaders.get('content-length'), String(ctx.upstreamBody.length));
    });

    it('an empty JSON body gets only the added and appended fields', async () => {
      const ctx = await run(ops, json(''));
      assert.deepEqual(JSON.parse(ctx.upstreamBody!.toString()), { source: 'gw', role: 'admin', tags: ['t2'] });
    });

    it('a JSON name like __proto__ stays an own field', async () => {
      const ctx = await run({ append: { body: ['__proto__:x'] } }, json('{}'));
      assert.equal(ctx.upstreamBody!.toString(), '{"__proto__":["x"]}');
    });

    const untouched: { name: string; init: FakeRequestInit }[] = [
      { name: 'invalid JSON', init: json('{"secret": ') },
      { name: 'a JSON array', init: json('[{"secret":1}]') },
      { name: 'text', init: { method: 'POST', body: 'secret=1', headers: [['Content-Type', 'text/plain'], ['Content-Length', '8']] } },
      { name: 'multipart', init: { method: 'POST', body: '--b\r\n\r\n--b--', headers: [['Content-Type', 'multipart/form-data; boundary=b'], ['Content-Length', '14']] } },
      { name: 'a declared length over the buffering limit', init: { method: 'POST', body: '{}', headers: [['Content-Type', 'application/json'], ['Content-Length', String(MAX_TRANSFORM_BODY_BYTES + 1)]] } },
    ];
    for (const c of untouched) {
      it(`leaves ${c.name} untouched`, async () => {
        const ctx = await run(ops, c.init);
        assert.equal(ctx.upstreamBody, null);
        const cl = c.init.headers!.find(([n]) => n === 'Content-Length')![1];
        assert.equal(ctx.upstreamHeaders.get('content-length'), cl);
      });
    }

    it('edits an urlencoded form', async () => {
      const ctx = await run(ops, { method: 'POST', body: 'secret=s&old=1&role=root&tags=t1', headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', '33']] });
      assert.equal(ctx.upstreamBody!.toString(), 'role=user&tags=t1&new=1&source=gw&tags=t2');
      assert.equal(ctx.upstreamHeaders.get('content-length'), String(ctx.upstreamBody!.length));
    });

    it('a chunked body that outgrows the buffering limit is refused with 413', async () => {
      const ctx = context({ method: 'POST', body: Buffer.alloc(MAX_TRANSFORM_BODY_BYTES + 1, 0x20), headers: [['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']] });
      const sc = await access(transformer(ops), ctx);
      assert.equal(sc?.status, 413);
    });

    it('without body verbs the body is never read', async () => {
      const ctx = await run({ add: { headers: ['x-a:1'] } }, json('{"a":1}'));
      assert.equal(ctx.bodyWasRead, false);
    });
  });

  describe('http_method', () => {
    it('changes the upstream method and keeps ctx.method', async () => {
      const ctx = await run({ http_method: 'PUT' }, { method: 'POST' });
      assert.equal(ctx.req.method, 'PUT');
      assert.equal(ctx.method, 'POST');
    });

    it('to GET moves an urlencoded body into the query string', async () => {
      const ctx = await run({ http_method: 'GET' }, { method: 'POST', url: '/s?a=1', body: 'a=2&b=3', headers: [['Content-Type', 'application/x-www-form-urlencoded'], ['Content-Length', '7']] });
      assert.equal(ctx.req.method, 'GET');
      assert.equal(ctx.query, 'a=1&a=2&b=3');
    });
  });
});
