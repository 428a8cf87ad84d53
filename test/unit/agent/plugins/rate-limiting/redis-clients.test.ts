import assert from 'node:assert/strict';
import type { RedisSettings } from '../../../../../agent/plugins/rate-limiting/config.js';
import { acquireRedis, openRedisClients, redisCacheKey, WarnThrottle } from '../../../../../agent/plugins/rate-limiting/redis-clients.js';

// lazyConnect: acquiring opens no connection, so these tests need no Redis
const BASE: RedisSettings = {
  host: '127.0.0.1', port: 6399, timeoutMs: 2000, username: undefined, password: undefined, database: 0, ssl: false, sslVerify: false, serverName: undefined,
};

describe('rate-limiting shared Redis clients', () => {
  it('shares one client per distinct connection settings and closes it with the last holder', () => {
    const before = openRedisClients();
    const a = acquireRedis(BASE);
    const b = acquireRedis({ ...BASE });
    const c = acquireRedis({ ...BASE, database: 1 });
    assert.equal(a.store, b.store);
    assert.notEqual(a.store, c.store);
    assert.equal(openRedisClients(), before + 2);
    a.release();
    a.release(); // a second release of the same share changes nothing
    assert.equal(openRedisClients(), before + 2);
    b.release();
    c.release();
    assert.equal(openRedisClients(), before);
    const again = acquireRedis(BASE);
    assert.notEqual(again.store, a.store, 'a closed client is not handed out again');
    again.release();
  });

  it('keys the cache by every connection setting', () => {
    const keys = new Set([
      BASE, { ...BASE, host: 'other' }, { ...BASE, port: 1 }, { ...BASE, timeoutMs: 1 }, { ...BASE, username: 'u' }, { ...BASE, password: 'p' },
      { ...BASE, database: 2 }, { ...BASE, ssl: true }, { ...BASE, sslVerify: true }, { ...BASE, serverName: 's' },
    ].map(redisCacheKey));
    assert.equal(keys.size, 10);
  });

  it('throttles warnings', () => {
    const t = new WarnThrottle(5000);
    assert.deepEqual([0, 1, 4999, 5000, 5001, 10_000].map((ms) => t.shouldWarn(ms)), [true, false, false, true, false, true]);
  });
});
