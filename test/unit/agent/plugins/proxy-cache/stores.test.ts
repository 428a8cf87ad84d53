import assert from 'node:assert/strict';
import { acquireMemoryStore, MemoryCacheStore } from '../../../../../agent/plugins/proxy-cache/memory-store.js';
import { decodeResponse, encodeResponse } from '../../../../../agent/plugins/proxy-cache/redis-store.js';
import { responseSize, SharedRegistry } from '../../../../../agent/plugins/proxy-cache/store.js';
import { putResponse, stored } from './fixtures.js';

const key = (i: number) => i.toString(16).padStart(64, '0');

describe('proxy-cache memory store', () => {
  it('never accounts more than its byte bound while filled with 10x its size, evicting least recently used', async () => {
    const maxBytes = 64 * 1024;
    const store = new MemoryCacheStore({ dictionaryName: 't', maxBytes, maxObjectBytes: 8 * 1024 });
    const body = Buffer.alloc(3000, 'x');
    let inserted = 0;
    let peak = 0;
    for (let i = 0; inserted < 10 * maxBytes; i++) {
      const r = stored({ body });
      assert.equal(await putResponse(store, key(i), r, 60_000), true);
      inserted += responseSize(`r:${key(i)}`, r);
      peak = Math.max(peak, store.bytes);
      assert.ok(store.bytes <= maxBytes, `after ${i + 1} inserts: ${store.bytes} > ${maxBytes}`);
      // keep entry 0 in use: LRU keeps it while the rest churns
      assert.ok(await store.getResponse(key(0)), `entry 0 evicted after ${i + 1} inserts`);
    }
    assert.ok(peak > maxBytes * 0.9, `the store was filled (peak ${peak})`);
    assert.equal(await store.getResponse(key(1)), undefined, 'an old unused entry was evicted');
  });

  it('refuses objects above max_object_bytes without evicting anything', async () => {
    const store = new MemoryCacheStore({ dictionaryName: 't', maxBytes: 64 * 1024, maxObjectBytes: 1024 });
    assert.equal(await putResponse(store, key(1), stored(), 60_000), true);
    assert.equal(await putResponse(store, key(2), stored({ body: Buffer.alloc(2000) }), 60_000), false);
    assert.equal(await store.getResponse(key(2)), undefined);
    assert.equal(await store.getVary(`base-${key(2)}`), undefined, 'nor its vary spec');
    assert.ok(await store.getResponse(key(1)));
  });

  it('forgets entries after their storage TTL', async () => {
    const store = new MemoryCacheStore({ dictionaryName: 't', maxBytes: 64 * 1024, maxObjectBytes: 4096 });
    await store.put(key(2), { headers: ['accept'], generation: 'g' }, key(1), stored(), 20);
    assert.ok(await store.getResponse(key(1)));
    assert.ok(await store.getVary(key(2)));
    await new Promise((r) => setTimeout(r, 40));
    assert.equal(await store.getResponse(key(1)), undefined);
    assert.equal(await store.getVary(key(2)), undefined);
  });

  it('delete removes a response or a vary spec; purge empties it', async () => {
    const store = new MemoryCacheStore({ dictionaryName: 't', maxBytes: 64 * 1024, maxObjectBytes: 4096 });
    await store.put(key(2), { headers: [], generation: 'g' }, key(1), stored(), 60_000);
    assert.equal(await store.delete(key(1)), true);
    assert.equal(await store.delete(key(1)), false);
    assert.equal(await store.delete(key(2)), true);
    await putResponse(store, key(3), stored(), 60_000);
    await store.purge();
    assert.deepEqual([store.entries, store.bytes], [0, 0]);
  });

  it('instances with the same settings share one store, kept until the last releases it', async () => {
    const opts = { dictionaryName: 'shared-test', maxBytes: 4096, maxObjectBytes: 1024 };
    const a = acquireMemoryStore(opts);
    const b = acquireMemoryStore(opts);
    const other = acquireMemoryStore({ ...opts, dictionaryName: 'other' });
    assert.equal(a.value, b.value);
    assert.notEqual(a.value, other.value);
    await putResponse(a.value, key(1), stored(), 60_000);
    a.release();
    a.release(); // idempotent
    assert.ok(await b.value.getResponse(key(1)), 'still held by b');
    b.release();
    other.release();
    const c = acquireMemoryStore(opts);
    assert.equal(await c.value.getResponse(key(1)), undefined, 'a fresh store after the last release');
    c.release();
  });

  it('SharedRegistry disposes only on the last release', () => {
    const disposed: string[] = [];
    const reg = new SharedRegistry<string>((v) => disposed.push(v));
    const x = reg.acquire('k', () => 'v1');
    const y = reg.acquire('k', () => 'v2');
    assert.equal(y.value, 'v1');
    x.release();
    assert.deepEqual(disposed, []);
    y.release();
    assert.deepEqual([disposed, reg.size], [['v1'], 0]);
  });
});

describe('proxy-cache redis encoding', () => {
  it('round-trips a response with a binary body', () => {
    const r = stored({ body: Buffer.from([0, 255, 10, 13]), headers: [['Vary', 'Accept'], ['X-A', 'ü']], sharedWithAuth: true, staleIfErrorS: 9 });
    assert.deepEqual(decodeResponse(encodeResponse(r)), r);
  });

  it('refuses garbage', () => {
    assert.equal(decodeResponse(Buffer.from('xx')), undefined);
    assert.equal(decodeResponse(Buffer.from([0, 0, 0, 50, 1, 2])), undefined);
    assert.equal(decodeResponse(Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{]')])), undefined);
  });
});
