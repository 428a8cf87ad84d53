import assert from 'node:assert/strict';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { AdminRoutes } from '../../../../../agent/admin/admin-routes.js';
import { createAdminServer } from '../../../../../agent/admin/admin-server.js';
import { attachAdmin } from '../../../../../agent/plugins/proxy-cache/admin.js';
import { MemoryCacheStore } from '../../../../../agent/plugins/proxy-cache/memory-store.js';
import { putResponse, stored } from './fixtures.js';

const key = (c: string) => c.repeat(64);

describe('proxy-cache admin endpoints', () => {
  const routes = new AdminRoutes();
  let server: http.Server;
  let base = '';

  before(async () => {
    server = createAdminServer({ ready: () => true, status: () => ({}), registry: new Registry(), routes });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => { await new Promise<void>((r) => server.close(() => r())); });

  const call = async (method: string, path: string) => {
    const res = await fetch(`${base}${path}`, { method });
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text) as Record<string, unknown> };
  };

  it('DELETE /cache/<key> → 204 when stored in any attached store, 404 JSON otherwise; DELETE /cache purges all', async () => {
    const a = new MemoryCacheStore({ dictionaryName: 'a', maxBytes: 65536, maxObjectBytes: 4096 });
    const b = new MemoryCacheStore({ dictionaryName: 'b', maxBytes: 65536, maxObjectBytes: 4096 });
    const detachA = attachAdmin(routes, a);
    const detachA2 = attachAdmin(routes, a); // a second instance on the same store
    const detachB = attachAdmin(routes, b);
    await putResponse(a, key('a'), stored(), 60_000);
    await putResponse(b, key('b'), stored(), 60_000);
    await putResponse(b, key('c'), stored(), 60_000);

    assert.deepEqual(await call('DELETE', `/cache/${key('b')}`), { status: 204, body: undefined });
    assert.deepEqual(await call('DELETE', `/cache/${key('b')}`), { status: 404, body: { message: 'Not found' } });
    assert.deepEqual(await call('DELETE', '/cache/not-a-key'), { status: 404, body: { message: 'Not found' } });
    const one = await call('GET', `/proxy-cache/${key('a')}`);
    assert.deepEqual([one.status, one.body?.status, one.body?.body_bytes], [200, 200, 5]);
    const stats = await call('GET', '/cache');
    assert.deepEqual((stats.body?.stores as { entries: number }[]).map((s) => s.entries), [2, 3], 'responses and their vary specs (b keeps the spec of the deleted one)');

    assert.equal((await call('DELETE', '/cache')).status, 204);
    assert.deepEqual([a.entries, b.entries], [0, 0]);

    detachA();
    detachB();
    assert.equal((await call('DELETE', '/cache')).status, 204, 'still registered for the second instance');
    detachA2();
    assert.equal((await call('DELETE', '/cache')).status, 405, 'gone with the last instance');
  });
});
