import assert from 'node:assert/strict';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import { CORRELATION_ID, correlationIdPlugin } from '../../../../../agent/plugins/correlation-id/correlation-id.js';
import { FlatHeaderList } from '../../../../../agent/plugins/header-list.js';
import { runResponseHeaders } from '../../../../../agent/plugins/pipeline.js';
import { access, configIssues, createPlugin, fakeContext, pluginEnv } from '../support/fake-request.js';

const env = pluginEnv(new ConsumerIndex());
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}';

describe('correlation-id plugin', () => {
  it('has Kong\'s defaults', () => {
    const { config, issues } = configIssues(correlationIdPlugin, {});
    assert.deepEqual(issues, []);
    assert.deepEqual(config, { header_name: 'Kong-Request-ID', generator: 'uuid#counter', echo_downstream: false });
  });

  for (const [name, config] of [['an unknown generator', { generator: 'ulid' }], ['a header name with a space', { header_name: 'X Id' }]] as const) {
    it(`refuses ${name}`, () => assert.notDeepEqual(configIssues(correlationIdPlugin, config).issues, []));
  }

  const generators: { generator: string; pattern: RegExp }[] = [
    { generator: 'uuid', pattern: new RegExp(`^${UUID}$`) },
    { generator: 'uuid#counter', pattern: new RegExp(`^${UUID}#\\d+$`) },
    { generator: 'tracker', pattern: /^[^-]*-[^-]*-\d+-\d+-\d+-\d+\.\d{3}$/ },
  ];
  for (const g of generators) {
    it(`generates a ${g.generator} id and sends it upstream`, async () => {
      const p = createPlugin(correlationIdPlugin, { generator: g.generator }, env);
      const ids = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const ctx = fakeContext();
        await access(p, ctx);
        const id = ctx.upstreamHeaders.get('kong-request-id');
        assert.match(String(id), g.pattern);
        assert.equal(ctx.shared.get(CORRELATION_ID), id, 'noted for the access log');
        ids.add(id!);
      }
      assert.equal(ids.size, 3, 'unique per request');
    });
  }

  it('uuid#counter counts up behind one uuid', async () => {
    const p = createPlugin(correlationIdPlugin, {}, env);
    const ids = [];
    for (let i = 0; i < 2; i++) { const ctx = fakeContext(); await access(p, ctx); ids.push(ctx.upstreamHeaders.get('kong-request-id')!); }
    const [a, b] = ids.map((id) => id.split('#'));
    assert.equal(a![0], b![0]);
    assert.equal(Number(b![1]), Number(a![1]) + 1);
  });

  const incoming: { name: string; header: string; value: string; kept: boolean }[] = [
    { name: 'an incoming id is kept', header: 'kong-request-id', value: 'client-1', kept: true },
    { name: 'any case of the name', header: 'KONG-REQUEST-ID', value: 'client-2', kept: true },
    { name: 'an empty one is replaced', header: 'Kong-Request-ID', value: '', kept: false },
  ];
  for (const c of incoming) {
    it(c.name, async () => {
      const p = createPlugin(correlationIdPlugin, {}, env);
      const ctx = fakeContext({ headers: [[c.header, c.value]] });
      await access(p, ctx);
      const sent = ctx.upstreamHeaders.getAll('kong-request-id');
      assert.equal(sent.length, 1);
      if (c.kept) assert.equal(sent[0], c.value); else assert.notEqual(sent[0], '');
    });
  }

  it('an incoming X-Request-ID replaces the proxy\'s own when that is the header', async () => {
    const p = createPlugin(correlationIdPlugin, { header_name: 'X-Request-ID' }, env);
    const ctx = fakeContext({ headers: [['X-Request-ID', 'from-client']] });
    ctx.upstreamHeaders.set('x-request-id', 'meshgate-id'); // what buildUpstreamHeaders does
    await access(p, ctx);
    assert.deepEqual(ctx.upstreamHeaders.getAll('x-request-id'), ['from-client']);
  });

  describe('echo_downstream', () => {
    const cases: { name: string; echo: boolean; upstream: [string, string][]; want: (id: string) => string[] }[] = [
      { name: 'off: not sent back', echo: false, upstream: [], want: () => [] },
      { name: 'on: sent back', echo: true, upstream: [], want: (id) => [id] },
      { name: 'on: set once even when the upstream echoes it', echo: true, upstream: [['Kong-Request-ID', 'x']], want: (id) => [id] },
    ];
    for (const c of cases) {
      it(c.name, async () => {
        const p = createPlugin(correlationIdPlugin, { echo_downstream: c.echo }, env);
        const ctx = fakeContext();
        await access(p, ctx);
        ctx.plugins = [p];
        const flat = c.upstream.flat();
        runResponseHeaders(ctx, 200, flat);
        const id = ctx.upstreamHeaders.get('kong-request-id')!;
        assert.deepEqual(new FlatHeaderList(flat).getAll('kong-request-id'), c.want(id));
      });
    }
  });
});
