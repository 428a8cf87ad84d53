import assert from 'node:assert/strict';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import type { RequestContext } from '../../../../../agent/plugins/context.js';
import { FlatHeaderList } from '../../../../../agent/plugins/header-list.js';
import { runResponseHeaders, runTransformBody } from '../../../../../agent/plugins/pipeline.js';
import { responseTransformerPlugin } from '../../../../../agent/plugins/response-transformer/response-transformer.js';
import { configIssues, createPlugin, fakeContext, pluginEnv } from '../support/fake-request.js';

const env = pluginEnv(new ConsumerIndex());

interface Answer {
  readonly wantsBody: boolean;
  readonly headers: FlatHeaderList;
  readonly body: string;
}

/** One upstream answer through the plugin, the way the edge's response hooks run it. */
function respond(config: Record<string, unknown>, upstream: [string, string][], body: string, opts: { method?: string; status?: number } = {}): Answer {
  const ctx: RequestContext = fakeContext({ method: opts.method ?? 'GET' });
  ctx.plugins = [createPlugin(responseTransformerPlugin, config, env)];
  const flat = upstream.flat();
  const wantsBody = runResponseHeaders(ctx, opts.status ?? 200, flat);
  const out = wantsBody ? runTransformBody(ctx, Buffer.from(body), flat).toString() : body;
  return { wantsBody, headers: new FlatHeaderList(flat), body: out };
}

const JSON_HEADERS: [string, string][] = [['Content-Type', 'application/json; charset=utf-8'], ['Content-Length', '99']];

describe('response-transformer plugin', () => {
  describe('config', () => {
    const cases: { name: string; config: Record<string, unknown>; issue: RegExp | null }[] = [
      { name: 'defaults', config: {}, issue: null },
      { name: 'json with types', config: { add: { json: ['n:1', 'b:true'], json_types: ['number', 'boolean'] } }, issue: null },
      { name: 'an unknown json type', config: { add: { json: ['n:1'], json_types: ['integer'] } }, issue: /json_types/ },
      { name: 'more types than entries', config: { add: { json: ['n:1'], json_types: ['number', 'string'] } }, issue: /add\.json_types: has 2 entries for 1/ },
      { name: 'add needs name:value', config: { add: { headers: ['x-a'] } }, issue: /must match pattern/ },
      { name: 'a header name that is not a token', config: { remove: { headers: ['x a'] } }, issue: /remove\.headers\.0/ },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.issue === null ? 'accepted' : 'refused'}`, () => {
        const { issues } = configIssues(responseTransformerPlugin, c.config);
        if (c.issue === null) assert.deepEqual(issues, []);
        else assert.ok(issues.some((i) => c.issue!.test(i)), issues.join('\n'));
      });
    }
  });

  describe('headers: remove → rename → replace → add → append', () => {
    const cases: { name: string; config: Record<string, unknown>; upstream: [string, string][]; want: Record<string, string[]> }[] = [
      { name: 'remove', config: { remove: { headers: ['server', 'x-powered-by'] } }, upstream: [['Server', 'x'], ['X-Powered-By', 'y'], ['X-Keep', 'k']], want: { server: [], 'x-powered-by': [], 'x-keep': ['k'] } },
      { name: 'rename then replace', config: { rename: { headers: ['x-old:x-new'] }, replace: { headers: ['x-new:r'] } }, upstream: [['X-Old', 'o']], want: { 'x-old': [], 'x-new': ['r'] } },
      { name: 'replace only if present', config: { replace: { headers: ['x-a:r', 'x-b:r'] } }, upstream: [['X-A', '1']], want: { 'x-a': ['r'], 'x-b': [] } },
      { name: 'add only if absent', config: { add: { headers: ['x-a:added', 'x-b:added'] } }, upstream: [['X-A', 'up']], want: { 'x-a': ['up'], 'x-b': ['added'] } },
      { name: 'append', config: { append: { headers: ['x-a:2'] } }, upstream: [['X-A', '1']], want: { 'x-a': ['1', '2'] } },
      { name: 'remove then add', config: { remove: { headers: ['cache-control'] }, add: { headers: ['cache-control:no-store'] } }, upstream: [['Cache-Control', 'max-age=60']], want: { 'cache-control': ['no-store'] } },
      { name: 'Content-Length is not for config to change', config: { remove: { headers: ['content-length'] }, add: { headers: ['connection:close'] } }, upstream: [['Content-Length', '2']], want: { 'content-length': ['2'], connection: [] } },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const a = respond(c.config, c.upstream, 'ok');
        assert.equal(a.wantsBody, false, 'header verbs alone never buffer the body');
        for (const [name, values] of Object.entries(c.want)) assert.deepEqual(a.headers.getAll(name), values, name);
      });
    }
  });

  describe('json', () => {
    const ops = {
      remove: { json: ['secret'] }, rename: { json: ['old:new'] },
      replace: { json: ['count:5', 'absent:x'], json_types: ['number'] },
      add: { json: ['flag:true', 'count:9', 'label:hi', 'bad:NaN'], json_types: ['boolean', 'number', 'string', 'number'] },
      append: { json: ['tags:t2'] },
    };

    it('edits top-level keys in Kong\'s order, with json_types, and fixes Content-Length', () => {
      const a = respond(ops, JSON_HEADERS, '{"secret":"s","old":1,"count":"1","tags":"t1","keep":null}');
      assert.equal(a.wantsBody, true);
      assert.deepEqual(JSON.parse(a.body), { new: 1, count: 5, tags: ['t1', 't2'], keep: null, flag: true, label: 'hi' });
      assert.deepEqual(a.headers.getAll('content-length'), [String(Buffer.byteLength(a.body))]);
    });

    const untouched: { name: string; upstream: [string, string][]; body: string; method?: string; status?: number; buffered: boolean }[] = [
      { name: 'invalid JSON', upstream: JSON_HEADERS, body: '{"secret":', buffered: true },
      { name: 'a JSON array', upstream: JSON_HEADERS, body: '[1,2]', buffered: true },
      { name: 'a non-JSON content type', upstream: [['Content-Type', 'text/html'], ['Content-Length', '2']], body: '{}', buffered: false },
      { name: 'a +json type (Kong matches application/json exactly)', upstream: [['Content-Type', 'application/problem+json']], body: '{}', buffered: false },
      { name: 'a gzip-encoded body', upstream: [...JSON_HEADERS, ['Content-Encoding', 'gzip']], body: '\u001f\u008b', buffered: false },
      { name: 'a HEAD answer', upstream: JSON_HEADERS, body: '', method: 'HEAD', buffered: false },
      { name: 'a 304', upstream: JSON_HEADERS, body: '', status: 304, buffered: false },
    ];
    for (const c of untouched) {
      it(`leaves ${c.name} as it is`, () => {
        const a = respond(ops, c.upstream, c.body, { method: c.method, status: c.status });
        assert.equal(a.wantsBody, c.buffered);
        assert.equal(a.body, c.body);
        if (!c.buffered) assert.deepEqual(a.headers.getAll('content-length'), c.upstream.filter(([n]) => n === 'Content-Length').map(([, v]) => v));
        else assert.deepEqual(a.headers.getAll('content-length'), [String(Buffer.byteLength(c.body))]);
      });
    }

    it('without json verbs a JSON answer streams', () => {
      assert.equal(respond({ add: { headers: ['x-a:1'] } }, JSON_HEADERS, '{}').wantsBody, false);
    });

    it('a JSON short-circuit (Kong error body) is edited too', () => {
      const a = respond({ add: { json: ['docs:https://example.com/errors'] } }, [['content-type', 'application/json; charset=utf-8']], '{"message":"Unauthorized"}', { status: 401 });
      assert.deepEqual(JSON.parse(a.body), { message: 'Unauthorized', docs: 'https://example.com/errors' });
    });
  });
});
