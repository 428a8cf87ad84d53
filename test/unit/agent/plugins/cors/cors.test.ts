import assert from 'node:assert/strict';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import { corsPlugin } from '../../../../../agent/plugins/cors/cors.js';
import type { RequestContext } from '../../../../../agent/plugins/context.js';
import { FlatHeaderList } from '../../../../../agent/plugins/header-list.js';
import { runResponseHeaders } from '../../../../../agent/plugins/pipeline.js';
import type { PluginInstance } from '../../../../../agent/plugins/plugin.js';
import { access, configIssues, createPlugin, fakeContext, pluginEnv } from '../support/fake-request.js';

const env = pluginEnv(new ConsumerIndex());
const DEFAULT_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT';

function cors(config: Record<string, unknown> = {}): PluginInstance {
  return createPlugin(corsPlugin, config, env);
}

function preflight(origin: string, extra: [string, string][] = []): RequestContext {
  return fakeContext({ method: 'OPTIONS', url: '/api', headers: [['Origin', origin], ['Access-Control-Request-Method', 'POST'], ...extra] });
}

/** The headers of an answer as the pipeline hands them to the plugin (upstream's first). */
function answer(p: PluginInstance, ctx: RequestContext, upstream: [string, string][] = []): FlatHeaderList {
  ctx.plugins = [p];
  const flat = upstream.flat();
  runResponseHeaders(ctx, 200, flat);
  return new FlatHeaderList(flat);
}

describe('cors plugin', () => {
  describe('config', () => {
    const cases: { name: string; config: Record<string, unknown>; issue: RegExp | null }[] = [
      { name: 'defaults', config: {}, issue: null },
      { name: 'decK nulls', config: { origins: null, methods: null, headers: null, exposed_headers: null, max_age: null }, issue: null },
      { name: 'exact and regex origins', config: { origins: ['https://a.example.com', '(.*)\\.example\\.com'] }, issue: null },
      { name: 'an origin that is not a regex', config: { origins: ['https://(a.example.com'] }, issue: /origins\.0: .* is not a valid regex/ },
      { name: 'an unknown method', config: { methods: ['GET', 'BREW'] }, issue: /methods/ },
      { name: 'an unknown field', config: { origin: ['*'] }, issue: /must NOT have additional properties/ },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.issue === null ? 'accepted' : 'refused'}`, () => {
        const { issues } = configIssues(corsPlugin, c.config);
        if (c.issue === null) assert.deepEqual(issues, []);
        else assert.ok(issues.some((i) => c.issue!.test(i)), issues.join('\n'));
      });
    }
  });

  it('defaults to Kong\'s methods', () => {
    assert.deepEqual(configIssues(corsPlugin, {}).config.methods, DEFAULT_METHODS.split(','));
  });

  describe('preflight answered at the edge', () => {
    const cases: {
      name: string; config: Record<string, unknown>; origin: string; extra?: [string, string][];
      want: Record<string, string | undefined>;
    }[] = [
      {
        name: 'all origins by default: "*" and the default methods', config: {}, origin: 'https://a.com', extra: [['Access-Control-Request-Headers', 'x-a, content-type']],
        want: { 'access-control-allow-origin': '*', 'access-control-allow-methods': DEFAULT_METHODS, 'access-control-allow-headers': 'x-a, content-type', 'access-control-allow-credentials': undefined },
      },
      {
        name: 'a listed origin is echoed', config: { origins: ['https://a.com', 'https://b.com'] }, origin: 'https://b.com',
        want: { 'access-control-allow-origin': 'https://b.com', 'access-control-allow-methods': DEFAULT_METHODS },
      },
      {
        name: 'an origin not listed gets no CORS headers', config: { origins: ['https://a.com'], credentials: true }, origin: 'https://evil.com',
        want: { 'access-control-allow-origin': undefined, 'access-control-allow-methods': undefined, 'access-control-allow-credentials': undefined },
      },
      {
        name: 'the default port is ignored when comparing', config: { origins: ['https://a.com:443'] }, origin: 'https://a.com',
        want: { 'access-control-allow-origin': 'https://a.com' },
      },
      {
        name: 'a regex without ":" matches the host', config: { origins: ['(.*)\\.example\\.com'] }, origin: 'https://api.example.com',
        want: { 'access-control-allow-origin': 'https://api.example.com' },
      },
      {
        name: 'a regex is anchored at both ends', config: { origins: ['(.*)\\.example\\.com'] }, origin: 'https://api.example.com.evil.org',
        want: { 'access-control-allow-origin': undefined },
      },
      {
        name: 'a regex is anchored even with alternatives', config: { origins: ['a\\.example\\.com|b\\.example\\.com'] }, origin: 'https://a.example.com.evil.org',
        want: { 'access-control-allow-origin': undefined },
      },
      {
        name: 'a regex with ":" matches scheme://host[:port]', config: { origins: ['https://.*\\.example\\.com'] }, origin: 'http://api.example.com',
        want: { 'access-control-allow-origin': undefined },
      },
      {
        name: 'credentials for a listed origin', config: { origins: ['https://a.com'], credentials: true }, origin: 'https://a.com',
        want: { 'access-control-allow-origin': 'https://a.com', 'access-control-allow-credentials': 'true' },
      },
      {
        name: 'never credentials through an empty list (Kong would echo the origin)', config: { credentials: true }, origin: 'https://evil.com',
        want: { 'access-control-allow-origin': '*', 'access-control-allow-credentials': undefined },
      },
      {
        name: 'never credentials through "*"', config: { origins: ['*'], credentials: true }, origin: 'https://evil.com',
        want: { 'access-control-allow-origin': '*', 'access-control-allow-credentials': undefined },
      },
      {
        name: 'listed origins keep credentials next to "*"', config: { origins: ['*', 'https://a.com'], credentials: true }, origin: 'https://a.com',
        want: { 'access-control-allow-origin': 'https://a.com', 'access-control-allow-credentials': 'true' },
      },
      {
        name: 'never credentials through a catch-all regex', config: { origins: ['.*'], credentials: true }, origin: 'https://evil.com',
        want: { 'access-control-allow-origin': 'https://evil.com', 'access-control-allow-credentials': undefined },
      },
      {
        name: 'never credentials for the "null" origin', config: { origins: ['null'], credentials: true }, origin: 'null',
        want: { 'access-control-allow-origin': 'null', 'access-control-allow-credentials': undefined },
      },
      {
        name: 'methods: null means the default list', config: { methods: null }, origin: 'https://a.com',
        want: { 'access-control-allow-methods': DEFAULT_METHODS },
      },
      {
        name: 'a regex with ":" matches scheme://host[:port] (positive)', config: { origins: ['https://.*\\.example\\.com'] }, origin: 'https://api.example.com',
        want: { 'access-control-allow-origin': 'https://api.example.com' },
      },
      {
        name: 'configured headers, methods, max_age', config: { headers: ['x-a', 'x-b'], methods: ['GET', 'POST'], max_age: 3600 }, origin: 'https://a.com',
        extra: [['Access-Control-Request-Headers', 'x-evil']],
        want: { 'access-control-allow-headers': 'x-a,x-b', 'access-control-allow-methods': 'GET,POST', 'access-control-max-age': '3600' },
      },
      {
        name: 'private network access when enabled and asked', config: { private_network: true }, origin: 'https://a.com',
        extra: [['Access-Control-Request-Private-Network', 'true']], want: { 'access-control-allow-private-network': 'true' },
      },
      {
        name: 'private network access not when disabled', config: {}, origin: 'https://a.com',
        extra: [['Access-Control-Request-Private-Network', 'true']], want: { 'access-control-allow-private-network': undefined },
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const p = cors(c.config);
        const ctx = preflight(c.origin, c.extra);
        const sc = await access(p, ctx);
        assert.ok(sc, 'a preflight is answered at the edge');
        assert.equal(sc.status, 200);
        assert.equal(sc.body, undefined);
        // the pipeline then runs the response phase over the short-circuit's headers
        const h = answer(p, ctx, Object.entries(sc.headers ?? {}).map(([k, v]) => [k, String(v)]));
        assert.deepEqual(h.getAll('vary'), ['Origin'], 'exactly one Vary: Origin');
        for (const [name, value] of Object.entries(c.want)) {
          assert.deepEqual(h.getAll(name), value === undefined ? [] : [value], name);
        }
      });
    }

    it('preflight_continue leaves the preflight to the upstream, without CORS headers', async () => {
      const p = cors({ preflight_continue: true });
      const ctx = preflight('https://a.com');
      assert.equal(await access(p, ctx), undefined);
      const h = answer(p, ctx, [['Access-Control-Allow-Origin', 'https://upstream.example']]);
      assert.deepEqual(h.entries(), [['Access-Control-Allow-Origin', 'https://upstream.example']]);
    });

    it('OPTIONS without Access-Control-Request-Method is an ordinary request', async () => {
      const p = cors();
      const ctx = fakeContext({ method: 'OPTIONS', headers: [['Origin', 'https://a.com']] });
      assert.equal(await access(p, ctx), undefined);
      assert.equal(answer(p, ctx).get('access-control-allow-origin'), '*');
    });
  });

  describe('headers on proxied answers', () => {
    const cases: {
      name: string; config: Record<string, unknown>; origin?: string; upstream?: [string, string][];
      want: Record<string, string[]>;
    }[] = [
      {
        name: 'an allowed origin: echoed, exposed headers, Vary', config: { origins: ['https://a.com'], exposed_headers: ['x-total', 'x-page'] }, origin: 'https://a.com',
        want: { 'access-control-allow-origin': ['https://a.com'], 'access-control-expose-headers': ['x-total,x-page'], vary: ['Origin'] },
      },
      {
        name: 'a disallowed origin: no ACAO, even the upstream\'s', config: { origins: ['https://a.com'] }, origin: 'https://evil.com',
        upstream: [['Access-Control-Allow-Origin', '*']], want: { 'access-control-allow-origin': [], vary: ['Origin'] },
      },
      {
        name: 'credentials only for the listed origin', config: { origins: ['https://a.com'], credentials: true }, origin: 'https://a.com',
        want: { 'access-control-allow-origin': ['https://a.com'], 'access-control-allow-credentials': ['true'] },
      },
      {
        name: 'wildcard with credentials: "*", and the upstream\'s credentials dropped', config: { credentials: true }, origin: 'https://evil.com',
        upstream: [['Access-Control-Allow-Credentials', 'true']], want: { 'access-control-allow-origin': ['*'], 'access-control-allow-credentials': [] },
      },
      { name: 'no Origin, wildcard: "*"', config: {}, want: { 'access-control-allow-origin': ['*'], vary: ['Origin'] } },
      { name: 'no Origin, listed origins: nothing but Vary', config: { origins: ['https://a.com'] }, want: { 'access-control-allow-origin': [], vary: ['Origin'] } },
      { name: 'no Origin, allow_origin_absent false', config: { allow_origin_absent: false }, want: { 'access-control-allow-origin': [], vary: ['Origin'] } },
      {
        name: 'an upstream Vary naming Origin is kept as is', config: {}, origin: 'https://a.com', upstream: [['Vary', 'Accept-Encoding, origin']],
        want: { vary: ['Accept-Encoding, origin'] },
      },
      {
        name: 'another upstream Vary gets Origin added', config: {}, origin: 'https://a.com', upstream: [['Vary', 'Accept-Encoding']],
        want: { vary: ['Accept-Encoding', 'Origin'] },
      },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const p = cors(c.config);
        const ctx = fakeContext({ method: 'GET', headers: c.origin === undefined ? [] : [['Origin', c.origin]] });
        assert.equal(await access(p, ctx), undefined);
        const h = answer(p, ctx, c.upstream);
        for (const [name, values] of Object.entries(c.want)) assert.deepEqual(h.getAll(name), values, name);
      });
    }
  });
});
