import assert from 'node:assert/strict';
import pino from 'pino';
import type { ConsulClient } from '../../../../registrar/consul-client.js';
import { DIRECT_WATCH_LIMIT, ServiceDiscovery, watchName } from '../../../../agent/discovery/service-discovery.js';

/** Records every call; answers each once with an empty list, then blocks until aborted. */
class RecordingConsul {
  readonly calls: { path: string; query: Record<string, string> }[] = [];
  readonly #answered = new Set<string>();
  async get(path: string, query: Record<string, string> = {}, block?: { signal?: AbortSignal }) {
    this.calls.push({ path, query });
    const key = path + JSON.stringify(query);
    if (!this.#answered.has(key)) { this.#answered.add(key); return { status: 200, body: [], index: 2 }; }
    return new Promise((_, reject) => block?.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
  }
}

describe('ServiceDiscovery: another datacenter\'s watch', () => {
  it('names it service@dc and asks Consul with ?dc=', () => {
    assert.equal(watchName({ service: 'users', mesh: true, dc: 'dc2' }), 'connect/users@dc2');
    assert.equal(watchName({ service: 'users', mesh: false }), 'service/users');
  });

  for (const locals of [1, DIRECT_WATCH_LIMIT + 1]) {
    it(`with ${locals} local service(s), the dc2 key gets a direct blocking query with dc=dc2`, async () => {
      const consul = new RecordingConsul();
      const d = new ServiceDiscovery(consul as unknown as ConsulClient, pino({ level: 'silent' }), () => {}, 1000);
      const keys = Array.from({ length: locals }, (_, i) => ({ service: `s${i}`, mesh: true }));
      d.setWanted([...keys, { service: 's0', mesh: true, dc: 'dc2' }]);
      await new Promise((r) => setTimeout(r, 50));
      await d.stop();
      const remote = consul.calls.filter((c) => c.query.dc !== undefined);
      assert.deepEqual([...new Set(remote.map((c) => `${c.path}?dc=${c.query.dc}&passing=${c.query.passing}`))], ['/health/connect/s0?dc=dc2&passing=1']);
      assert.deepEqual(d.endpoints({ service: 's0', mesh: true, dc: 'dc2' }), { endpoints: [], loaded: false }, 'stopped watches are gone');
    });
  }
});
