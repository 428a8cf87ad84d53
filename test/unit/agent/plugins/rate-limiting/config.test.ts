import assert from 'node:assert/strict';
import type { KongDeclarative } from '../../../../../proto/config-schema.js';
import { resolvePlugins } from '../../../../../agent/plugins/plugin-config.js';
import { compileSettings, redisSettings, validateRateLimiting } from '../../../../../agent/plugins/rate-limiting/config.js';
import { rateLimitingPlugin } from '../../../../../agent/plugins/rate-limiting/rate-limiting.js';
import { config, schemaCheck } from './fixtures.js';

describe('rate-limiting config: schema and Kong defaults', () => {
  it('fills Kong’s defaults', () => {
    const c = config({ minute: 5 });
    assert.deepEqual(c, {
      minute: 5, limit_by: 'consumer', policy: 'local', fault_tolerant: true, hide_client_headers: false,
      error_code: 429, error_message: 'API rate limit exceeded', sync_rate: -1, window_type: 'fixed',
      redis: { port: 6379, timeout: 2000, database: 0, ssl: false, ssl_verify: false },
    });
  });

  it('is the plugin’s schema, priority and name', () => {
    assert.equal(rateLimitingPlugin.name, 'rate-limiting');
    assert.equal(rateLimitingPlugin.priority, 910);
    assert.equal(rateLimitingPlugin.validate, validateRateLimiting);
  });

  const REJECTED: readonly [string, Record<string, unknown>][] = [
    ['a zero limit', { minute: 0 }],
    ['a negative limit', { hour: -1 }],
    ['a string limit', { minute: '5' }],
    ['an unknown field', { minute: 5, minutes: 5 }],
    ['an unknown limit_by', { minute: 5, limit_by: 'cookie' }],
    ['an unknown policy', { minute: 5, policy: 'memcached' }],
    ['an unknown window_type', { minute: 5, window_type: 'rolling' }],
    ['a path not starting with /', { minute: 5, limit_by: 'path', path: 'x' }],
    ['an unknown redis field', { minute: 5, redis: { host: 'r', hots: 'r' } }],
    ['a redis port out of range', { minute: 5, redis: { host: 'r', port: 70000 } }],
    ['an error_code that is no HTTP status', { minute: 5, error_code: 42 }],
  ];
  for (const [what, raw] of REJECTED) {
    it(`rejects ${what}`, () => assert.equal(schemaCheck(raw).ok, false));
  }

  it('accepts decK’s nulls for unset fields', () => {
    const c = config({ second: null, minute: 5, hour: null, header_name: null, path: null, redis_host: null, redis: { host: null, password: null } });
    assert.deepEqual(validateRateLimiting(c), []);
    assert.deepEqual(compileSettings(c).limits, [{ period: 'minute', limit: 5 }]);
  });
});

describe('rate-limiting config: Kong’s rules', () => {
  const ROWS: readonly [string, Record<string, unknown>, { path: string; message: string }[]][] = [
    ['no limit at all', {}, [{ path: '', message: "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'" }]],
    ['only nulls', { second: null, minute: null }, [{ path: '', message: "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'" }]],
    ['increasing limits', { second: 1, minute: 10, hour: 100, day: 1000, month: 10000, year: 100000 }, []],
    ['equal limits', { second: 5, minute: 5, year: 5 }, []],
    ['gaps between periods', { second: 2, day: 3 }, []],
    ['hour below minute', { minute: 10, hour: 5 }, [{ path: 'hour', message: 'The limit for hour(5.0) cannot be lower than the limit for minute(10.0)' }]],
    ['year below second, far apart', { second: 3, year: 2.5 }, [{ path: 'year', message: 'The limit for year(2.5) cannot be lower than the limit for second(3.0)' }]],
    ['two violations', { second: 10, minute: 5, hour: 1 }, [
      { path: 'minute', message: 'The limit for minute(5.0) cannot be lower than the limit for second(10.0)' },
      { path: 'hour', message: 'The limit for hour(1.0) cannot be lower than the limit for second(10.0)' },
      { path: 'hour', message: 'The limit for hour(1.0) cannot be lower than the limit for minute(5.0)' },
    ]],
    ['cluster policy (no database)', { minute: 5, policy: 'cluster' }, [{ path: 'policy', message: 'cluster policy needs a database; use local or redis' }]],
    ['redis without a host', { minute: 5, policy: 'redis' }, [{ path: 'redis.host', message: 'required when policy is redis' }]],
    ['redis with a nested host', { minute: 5, policy: 'redis', redis: { host: 'r' } }, []],
    ['redis with a Kong 2.x flat host', { minute: 5, policy: 'redis', redis_host: 'r' }, []],
    ['flat and nested hosts that disagree', { minute: 5, policy: 'redis', redis_host: 'a', redis: { host: 'b' } }, [{ path: 'redis_host', message: 'conflicts with redis.host ("a" vs "b")' }]],
    ['limit_by header without header_name', { minute: 5, limit_by: 'header' }, [{ path: 'header_name', message: 'required when limit_by is header' }]],
    ['limit_by header with header_name', { minute: 5, limit_by: 'header', header_name: 'X-Tenant' }, []],
    ['limit_by path without path', { minute: 5, limit_by: 'path' }, [{ path: 'path', message: 'required when limit_by is path' }]],
  ];
  for (const [what, raw, want] of ROWS) {
    it(what, () => assert.deepEqual(validateRateLimiting(config(raw)), want));
  }
});

describe('rate-limiting config: compiled settings', () => {
  it('lists the configured periods shortest first and lower-cases header_name', () => {
    const s = compileSettings(config({ hour: 100, second: 2, limit_by: 'header', header_name: 'X-Tenant', window_type: 'sliding' }));
    assert.deepEqual(s.limits, [{ period: 'second', limit: 2 }, { period: 'hour', limit: 100 }]);
    assert.equal(s.headerName, 'x-tenant');
    assert.equal(s.sliding, true);
    assert.equal(s.redis, null);
    assert.ok(Object.isFrozen(s));
  });

  it('maps Kong 2.x flat redis_* fields, which win over the nested defaults', () => {
    const s = compileSettings(config({
      minute: 5, policy: 'redis', redis_host: 'redis.internal', redis_port: 6380, redis_password: 'pw', redis_database: 3,
      redis_timeout: 500, redis_ssl: true, redis_ssl_verify: true, redis_server_name: 'sni.example', redis_username: 'u',
    }));
    assert.deepEqual(s.redis, {
      host: 'redis.internal', port: 6380, timeoutMs: 500, username: 'u', password: 'pw', database: 3, ssl: true, sslVerify: true, serverName: 'sni.example',
    });
  });

  it('reads the nested redis record (Kong 3)', () => {
    const c = config({ minute: 5, policy: 'redis', redis: { host: 'r', port: 7000, timeout: 100, database: 2, username: 'u', password: 'p', ssl: true, server_name: 's' } });
    assert.deepEqual(redisSettings(c), { host: 'r', port: 7000, timeoutMs: 100, username: 'u', password: 'p', database: 2, ssl: true, sslVerify: false, serverName: 's' });
  });

  it('has no redis settings for the local policy even when a host is given', () => {
    assert.equal(compileSettings(config({ minute: 5, redis: { host: 'r' } })).redis, null);
  });

  it('refuses to compile what validation rejects', () => {
    assert.throws(() => compileSettings(config({ minute: 5, policy: 'cluster' })), /cluster policy needs a database/);
    assert.throws(() => compileSettings(config({})), /no limit/);
    assert.throws(() => compileSettings(config({ minute: 5, policy: 'redis' })), /redis\.host/);
  });
});

describe('rate-limiting config: through the decK plugin resolution', () => {
  it('names the YAML path of each problem', () => {
    const res = resolvePlugins({
      _format_version: '3.0',
      services: [{ name: 'web', url: 'http://web', routes: [{ name: 'r', paths: ['/'], plugins: [
        { name: 'rate-limiting', config: { minute: 10, hour: 5, policy: 'cluster' } },
        { name: 'rate-limiting', config: { minute: 'five' } },
      ] }] }],
    } as KongDeclarative, []);
    assert.deepEqual(res.issues.map((i) => `${i.path}: ${i.message}`), [
      'services[0].routes[0].plugins[0].config.hour: The limit for hour(5.0) cannot be lower than the limit for minute(10.0)',
      'services[0].routes[0].plugins[0].config.policy: cluster policy needs a database; use local or redis',
      'services[0].routes[0].plugins[1].config.minute: must be number,null',
    ]);
  });
});
