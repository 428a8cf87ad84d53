import assert from 'node:assert/strict';
import type { KongDeclarative } from '../../../../proto/config-schema.js';
import { compileServices, consulServiceName } from '../../../../agent/table/service-spec.js';

const kong = (services: NonNullable<KongDeclarative['services']>, upstreams?: KongDeclarative['upstreams']): KongDeclarative =>
  ({ _format_version: '3.0', services, ...(upstreams ? { upstreams } : {}) });

describe('consulServiceName', () => {
  const ROWS: readonly [string, string | undefined][] = [
    ['users', 'users'],
    ['users-v2', 'users-v2'],
    ['users.service.consul', 'users'],
    ['my-svc.service.consul', 'my-svc'],
    ['127.0.0.1', undefined],
    ['::1', undefined],
    ['localhost', undefined],
    ['example.com', undefined],
    ['users.internal', undefined],
  ];
  for (const [host, want] of ROWS) {
    it(`${host} → ${want === undefined ? 'static' : `consul "${want}"`}`, () => assert.equal(consulServiceName(host), want));
  }
});

describe('compileServices', () => {
  it('applies Kong service defaults', () => {
    const { services } = compileServices(kong([{ name: 'users', host: 'users' }]));
    assert.deepEqual(services.get('users'), {
      name: 'users', protocol: 'http', hostHeader: 'users', path: '', retries: 5,
      connectTimeoutMs: 60_000, readTimeoutMs: 60_000, writeTimeoutMs: 60_000, perTryTimeoutMs: 0, pool: 'consul:users',
    });
  });

  it('keeps explicit retries and timeouts', () => {
    const { services } = compileServices(kong([{ name: 'a', host: 'a', retries: 0, connect_timeout: 1, read_timeout: 2, write_timeout: 3 }]));
    const s = services.get('a')!;
    assert.deepEqual([s.retries, s.connectTimeoutMs, s.readTimeoutMs, s.writeTimeoutMs], [0, 1, 2, 3]);
  });

  it('sends a Consul service to a consul pool with default passive health', () => {
    const { pools } = compileServices(kong([{ name: 'a', host: 'users.service.consul', port: 9000 }]));
    assert.deepEqual(pools.get('consul:users'), {
      name: 'consul:users', source: { kind: 'consul', service: 'users' }, protocol: 'http', algorithm: 'round-robin', slots: 10_000, hashKey: null,
      health: { maxFails: 3, failTimeoutMs: 10_000 }, active: null,
    });
  });

  const STATIC: readonly [string, { host: string; port?: number; protocol?: 'http' | 'https' }, string, string, number][] = [
    ['an IP', { host: '127.0.0.1', port: 8080 }, 'static:127.0.0.1:8080', '127.0.0.1:8080', 8080],
    ['localhost, default port 80', { host: 'localhost' }, 'static:localhost:80', 'localhost', 80],
    ['a DNS name', { host: 'example.com', port: 80 }, 'static:example.com:80', 'example.com', 80],
    ['https default port 443', { host: 'example.com', protocol: 'https' }, 'static:https:example.com:443', 'example.com', 443],
    ['https on 8443', { host: 'example.com', protocol: 'https', port: 8443 }, 'static:https:example.com:8443', 'example.com:8443', 8443],
  ];
  for (const [name, origin, poolName, hostHeader, port] of STATIC) {
    it(`sends ${name} to a static pool`, () => {
      const { services, pools } = compileServices(kong([{ name: 's', ...origin }]));
      assert.equal(services.get('s')!.pool, poolName);
      assert.equal(services.get('s')!.hostHeader, hostHeader);
      assert.deepEqual(pools.get(poolName)!.source, { kind: 'static', targets: [{ host: origin.host, port, weight: 1 }] });
    });
  }

  const URLS: readonly [string, { protocol: string; hostHeader: string; path: string; pool: string }][] = [
    ['http://users:8080/api', { protocol: 'http', hostHeader: 'users', path: '/api', pool: 'consul:users' }],
    ['http://users', { protocol: 'http', hostHeader: 'users', path: '', pool: 'consul:users' }],
    ['http://users/', { protocol: 'http', hostHeader: 'users', path: '/', pool: 'consul:users' }],
    ['http://users/api/', { protocol: 'http', hostHeader: 'users', path: '/api/', pool: 'consul:users' }],
    ['https://example.com/v1', { protocol: 'https', hostHeader: 'example.com', path: '/v1', pool: 'static:https:example.com:443' }],
    ['http://example.com:81', { protocol: 'http', hostHeader: 'example.com:81', path: '', pool: 'static:example.com:81' }],
    ['http://10.0.0.1:8080/x/y', { protocol: 'http', hostHeader: '10.0.0.1:8080', path: '/x/y', pool: 'static:10.0.0.1:8080' }],
  ];
  for (const [url, want] of URLS) {
    it(`parses url ${url}`, () => {
      const s = compileServices(kong([{ name: 's', url }])).services.get('s')!;
      assert.deepEqual({ protocol: s.protocol, hostHeader: s.hostHeader, path: s.path, pool: s.pool }, want);
    });
  }

  it('uses service.path when given with host', () => {
    assert.equal(compileServices(kong([{ name: 's', host: 'users', path: '/base' }])).services.get('s')!.path, '/base');
  });

  it('sends a host naming an upstream to that upstream\'s targets', () => {
    const { services, pools } = compileServices(kong(
      [{ name: 's', host: 'my-pool', port: 9999, path: '/p' }],
      [{
        name: 'my-pool', algorithm: 'least-connections',
        targets: [{ target: '10.0.0.1:8081', weight: 5 }, { target: '10.0.0.2' }, { target: 'backend.local:9000', weight: 0 }],
        passive: { max_fails: 0, fail_timeout: '30s' },
      }],
    ));
    assert.deepEqual(services.get('s'), {
      name: 's', protocol: 'http', hostHeader: 'my-pool', path: '/p', retries: 5,
      connectTimeoutMs: 60_000, readTimeoutMs: 60_000, writeTimeoutMs: 60_000, perTryTimeoutMs: 0, pool: 'upstream:my-pool',
    });
    assert.deepEqual(pools.get('upstream:my-pool'), {
      name: 'upstream:my-pool', protocol: 'http',
      source: {
        kind: 'static',
        targets: [
          { host: '10.0.0.1', port: 8081, weight: 5 },
          { host: '10.0.0.2', port: 8000, weight: 100 },
          { host: 'backend.local', port: 9000, weight: 0 },
        ],
      },
      algorithm: 'least-connections', slots: 10_000, hashKey: null,
      health: { maxFails: 0, failTimeoutMs: 30_000 }, active: null,
    });
  });

  it('gives an upstream round-robin and default passive health when unset', () => {
    const { pools } = compileServices(kong([{ name: 's', url: 'http://up.example.com/x' }], [{ name: 'up.example.com' }]));
    assert.deepEqual(pools.get('upstream:up.example.com'), {
      name: 'upstream:up.example.com', protocol: 'http', source: { kind: 'static', targets: [] }, algorithm: 'round-robin', slots: 10_000, hashKey: null,
      health: { maxFails: 3, failTimeoutMs: 10_000 }, active: null,
    });
  });

  it('shares one pool between services with the same destination', () => {
    const { services, pools } = compileServices(kong([
      { name: 'a', host: 'users' }, { name: 'b', url: 'http://users.service.consul:1234/x' },
    ]));
    assert.equal(services.get('a')!.pool, 'consul:users');
    assert.equal(services.get('b')!.pool, 'consul:users');
    assert.equal(pools.size, 1);
  });

  it('leaves out disabled services', () => {
    const { services, pools } = compileServices(kong([{ name: 'off', host: 'users', enabled: false }, { name: 'on', host: 'orders' }]));
    assert.deepEqual([...services.keys()], ['on']);
    assert.deepEqual([...pools.keys()], ['consul:orders']);
  });

  it('handles a file without services', () => {
    const { services, pools } = compileServices({ _format_version: '3.0' });
    assert.equal(services.size, 0);
    assert.equal(pools.size, 0);
  });

  // Regression (found as a bug): WHATWG URL keeps the brackets in an IPv6 hostname ("[::1]"), which isIP() does not
  // recognise and which has no dot, so consulServiceName() treats it as a Consul service name.
  // Input: services: [{ name: 'v6', url: 'http://[::1]:8080/x' }] (the schema accepts this url).
  // Expected: static pool to ::1 port 8080. Actual: pool "consul:[::1]" (a Consul lookup of "[::1]").
  it('an IPv6 literal in a service url is a static target, not a Consul service', () => {
    const { services, pools } = compileServices(kong([{ name: 'v6', url: 'http://[::1]:8080/x' }]));
    const pool = pools.get(services.get('v6')!.pool)!;
    assert.deepEqual(pool.source, { kind: 'static', targets: [{ host: '::1', port: 8080, weight: 1 }] });
  });
});
