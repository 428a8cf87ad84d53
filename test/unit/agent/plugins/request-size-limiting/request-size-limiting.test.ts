import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import { RequestContext } from '../../../../../agent/plugins/context.js';
import { requestSizeLimitingPlugin } from '../../../../../agent/plugins/request-size-limiting/request-size-limiting.js';
import { access, configIssues, createPlugin, fakeContext, pluginEnv, type FakeRequestInit } from '../support/fake-request.js';

const env = pluginEnv(new ConsumerIndex());
const TOO_LARGE = { message: 'Request size limit exceeded' };
/** refusals close the connection: the rest of the body is never read */
const CLOSE = { Connection: 'close' };

describe('request-size-limiting plugin', () => {
  describe('config', () => {
    it('has Kong\'s defaults: 128 megabytes, Content-Length not required', () => {
      const { config, issues } = configIssues(requestSizeLimitingPlugin, {});
      assert.deepEqual(issues, []);
      assert.deepEqual(config, { allowed_payload_size: 128, size_unit: 'megabytes', require_content_length: false });
    });
    for (const [name, config] of [['an unknown unit', { size_unit: 'gigabytes' }], ['a negative size', { allowed_payload_size: -1 }], ['a fractional size', { allowed_payload_size: 1.5 }]] as const) {
      it(`refuses ${name}`, () => assert.notDeepEqual(configIssues(requestSizeLimitingPlugin, config).issues, []));
    }
  });

  describe('access', () => {
    const post = (headers: [string, string][], body?: string | Buffer): FakeRequestInit => ({ method: 'POST', headers, ...(body === undefined ? {} : { body }) });
    const cases: { name: string; config: Record<string, unknown>; req: FakeRequestInit; want: { status: number; body: unknown; headers: Record<string, string> } | null }[] = [
      { name: 'a declared length at the limit', config: { allowed_payload_size: 10, size_unit: 'bytes' }, req: post([['Content-Length', '10']]), want: null },
      { name: 'a declared length over the limit', config: { allowed_payload_size: 10, size_unit: 'bytes' }, req: post([['Content-Length', '11']]), want: { status: 413, body: TOO_LARGE, headers: CLOSE } },
      { name: 'kilobytes are 1024 bytes', config: { allowed_payload_size: 1, size_unit: 'kilobytes' }, req: post([['Content-Length', '1025']]), want: { status: 413, body: TOO_LARGE, headers: CLOSE } },
      { name: 'megabytes are 1024² bytes', config: { allowed_payload_size: 1 }, req: post([['Content-Length', String(1024 * 1024)]]), want: null },
      { name: 'over the limit with Expect: 100-continue', config: { allowed_payload_size: 10, size_unit: 'bytes' }, req: post([['Content-Length', '11'], ['Expect', ' 100-Continue ']]), want: { status: 417, body: TOO_LARGE, headers: CLOSE } },
      { name: 'no body at all, Content-Length required', config: { require_content_length: true }, req: { method: 'GET' }, want: null },
      {
        name: 'a chunked body, Content-Length required', config: { require_content_length: true }, req: post([['Transfer-Encoding', 'chunked']], 'x'),
        want: { status: 411, body: { message: 'A valid Content-Length header is required' }, headers: CLOSE },
      },
      { name: 'a chunked body within the limit', config: { allowed_payload_size: 10, size_unit: 'bytes' }, req: post([['Transfer-Encoding', 'chunked']], '0123456789'), want: null },
      { name: 'a chunked body over the limit', config: { allowed_payload_size: 10, size_unit: 'bytes' }, req: post([['Transfer-Encoding', 'chunked']], '0123456789A'), want: { status: 413, body: TOO_LARGE, headers: CLOSE } },
      {
        name: 'a chunked body over the limit with Expect', config: { allowed_payload_size: 10, size_unit: 'bytes' }, req: post([['Transfer-Encoding', 'chunked'], ['Expect', '100-continue']], Buffer.alloc(64)),
        want: { status: 417, body: TOO_LARGE, headers: CLOSE },
      },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.want === null ? 'passes' : c.want.status}`, async () => {
        const p = createPlugin(requestSizeLimitingPlugin, c.config, env);
        assert.deepEqual(await access(p, fakeContext(c.req)) ?? null, c.want);
      });
    }

    it('a declared length is judged without reading the body', async () => {
      const p = createPlugin(requestSizeLimitingPlugin, { allowed_payload_size: 10, size_unit: 'bytes' }, env);
      const ctx = fakeContext(post([['Content-Length', '5']], '01234'));
      assert.equal(await access(p, ctx), undefined);
      assert.equal(ctx.bodyWasRead, false, 'the body still streams');
    });

    it('a chunked body within the limit is kept for the upstream', async () => {
      const p = createPlugin(requestSizeLimitingPlugin, { allowed_payload_size: 10, size_unit: 'bytes' }, env);
      const ctx = fakeContext(post([['Transfer-Encoding', 'chunked']], 'hello'));
      assert.equal(await access(p, ctx), undefined);
      assert.equal(ctx.bodyWasRead, true);
      assert.equal((await ctx.readBody()).toString(), 'hello', 'the edge forwards what was read');
    });

    it('a chunked body over the limit stops being read, and the request stays open for the 413', async () => {
      const p = createPlugin(requestSizeLimitingPlugin, { allowed_payload_size: 10, size_unit: 'bytes' }, env);
      const req = Object.assign(Readable.from(Array.from({ length: 6 }, () => Buffer.alloc(8))), {
        method: 'POST', url: '/', headers: { 'transfer-encoding': 'chunked' }, rawHeaders: ['Transfer-Encoding', 'chunked'], socket: { remoteAddress: '10.0.0.1' },
      }) as unknown as IncomingMessage;
      const ctx = new RequestContext({
        req, requestId: 'r', clientIp: '10.0.0.1', route: { name: 'r1', service: 's1' }, path: '/', query: '', captures: {}, upstreamPath: '/', upstreamHeaders: [],
      });
      assert.equal((await access(p, ctx))?.status, 413);
      assert.equal(req.destroyed, false, 'ctx.readBody(limit) would have destroyed it, and the 413 with it');
      assert.equal(req.isPaused(), true);
      assert.ok(!req.readableEnded, 'the rest is left unread');
    });

    it('a body another plugin already read is measured too', async () => {
      const p = createPlugin(requestSizeLimitingPlugin, { allowed_payload_size: 4, size_unit: 'bytes' }, env);
      const ctx = fakeContext(post([['Transfer-Encoding', 'chunked']], 'hello'));
      await ctx.readBody(1024);
      assert.equal((await access(p, ctx))?.status, 413);
    });
  });
});
