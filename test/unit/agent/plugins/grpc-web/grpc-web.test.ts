import assert from 'node:assert/strict';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import { grpcWebPlugin, NEEDS_PROTO } from '../../../../../agent/plugins/grpc-web/grpc-web.js';
import { access, configIssues, createPlugin, fakeContext, pluginEnv, upstream } from '../support/fake-request.js';

const env = pluginEnv(new ConsumerIndex());
const call = (contentType: string, url = '/pkg.Svc/Method') => fakeContext({
  method: 'POST', url, headers: [['content-type', contentType], ['content-length', '12'], ['x-grpc-web', '1']],
});

describe('grpc-web plugin', () => {
  it('has Kong\'s defaults (allow_origin_header "*", pass_stripped_path off, no proto)', () => {
    const { config, issues } = configIssues(grpcWebPlugin, {});
    assert.deepEqual(issues, []);
    assert.deepEqual(config, { allow_origin_header: '*' });
  });

  it('refuses proto (JSON transcoding), naming the field', () => {
    const { issues } = configIssues(grpcWebPlugin, { proto: '/etc/greeter.proto' });
    assert.equal(issues.length, 1);
    assert.match(issues[0]!, /^proto: not supported: JSON transcoding/);
  });

  it('marks a gRPC-Web call and sends it upstream as gRPC: content-type application/grpc, TE trailers, no content-length', async () => {
    const p = createPlugin(grpcWebPlugin, {}, env);
    const ctx = call('application/grpc-web-text+proto');
    assert.equal(await access(p, ctx), undefined);
    assert.deepEqual(ctx.grpcWeb, { contentType: 'application/grpc-web-text+proto', text: true });
    assert.equal(upstream(ctx, 'content-type'), 'application/grpc');
    assert.equal(upstream(ctx, 'te'), 'trailers');
    assert.equal(upstream(ctx, 'content-length'), undefined);
    assert.equal(ctx.clientHeaders.get('access-control-allow-origin'), '*');
  });

  it('the upstream path: the client\'s path by default (as Kong), the route\'s stripped path with pass_stripped_path', async () => {
    const kept = call('application/grpc-web', '/web/pkg.Svc/M');
    kept.upstreamPath = '/pkg.Svc/M';
    await access(createPlugin(grpcWebPlugin, {}, env), kept);
    assert.equal(kept.upstreamPath, '/web/pkg.Svc/M');
    const stripped = call('application/grpc-web', '/web/pkg.Svc/M');
    stripped.upstreamPath = '/pkg.Svc/M';
    await access(createPlugin(grpcWebPlugin, { pass_stripped_path: true }, env), stripped);
    assert.equal(stripped.upstreamPath, '/pkg.Svc/M');
  });

  it('answers an OPTIONS preflight itself with Kong\'s fixed CORS headers and allow_origin_header', async () => {
    const p = createPlugin(grpcWebPlugin, { allow_origin_header: 'https://app.test' }, env);
    const sc = await access(p, fakeContext({ method: 'OPTIONS', url: '/pkg.Svc/M' }));
    assert.equal(sc?.status, 200);
    assert.equal(sc?.body, 'OK');
    assert.deepEqual(sc?.headers, {
      'content-type': 'application/grpc-web-text+proto', 'access-control-allow-origin': 'https://app.test',
      'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type,x-grpc-web,x-user-agent',
    });
  });

  for (const ct of ['application/grpc-web+json', 'application/json', 'text/plain']) {
    it(`${ct} is 400 with Kong's message, not marked`, async () => {
      const ctx = call(ct);
      const sc = await access(createPlugin(grpcWebPlugin, {}, env), ctx);
      assert.equal(sc?.status, 400);
      assert.deepEqual(sc?.body, { message: NEEDS_PROTO });
      assert.equal(ctx.grpcWeb, null);
    });
  }
});
