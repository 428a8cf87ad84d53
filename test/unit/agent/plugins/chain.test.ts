// Kong's plugin precedence, table-driven: for each plugin name the most specific entry wins
// (consumer+route+service > consumer+route > consumer+service > route+service > consumer > route >
// service > global), and the chain runs by PRIORITY, highest first.
import assert from 'node:assert/strict';
import pino from 'pino';
import { Type } from '@sinclair/typebox';
import { AdminRoutes } from '../../../../agent/admin/admin-routes.js';
import { ChainCompiler } from '../../../../agent/plugins/chain.js';
import { ConsumerIndex } from '../../../../agent/plugins/consumers.js';
import type { PluginFactory, PluginInstance } from '../../../../agent/plugins/plugin.js';
import type { PluginScope, ResolvedPlugin } from '../../../../agent/plugins/plugin-config.js';

/** a factory whose instances say which entry (path) they came from */
function factory(name: string, priority: number): PluginFactory {
  return { name, priority, configSchema: Type.Object({}), create: (_c, env) => ({ name, at: (env.log.bindings() as { at: string }).at } as unknown as PluginInstance) };
}
const RL = factory('rate-limiting', 910);
const KEY = factory('key-auth', 1250);
const COR = factory('cors', 2000);
const consumers = ConsumerIndex.compile({ _format_version: '3.0', consumers: [{ username: 'alice', id: 'alice-id' }] });
const env = { log: pino({ level: 'silent' }), consumers, clusterSize: () => 1, admin: new AdminRoutes() };
const entry = (f: PluginFactory, path: string, scope: PluginScope): ResolvedPlugin => ({ factory: f, config: {}, scope, path });
const at = (list: readonly PluginInstance[] | undefined) => (list ?? []).map((i) => `${(i as unknown as { name: string }).name}@${(i as unknown as { at: string }).at}`);

describe('plugin chain: Kong precedence', () => {
  const ALL: ResolvedPlugin[] = [
    entry(RL, 'global', {}),
    entry(RL, 'service', { service: 's' }),
    entry(RL, 'route', { route: 'r' }),
    entry(RL, 'route+service', { route: 'r', service: 's' }),
    entry(RL, 'consumer', { consumer: 'alice' }),
    entry(RL, 'consumer+service', { consumer: 'alice', service: 's' }),
    entry(RL, 'consumer+route', { consumer: 'alice', route: 'r' }),
    entry(RL, 'consumer+route+service', { consumer: 'alice', route: 'r', service: 's' }),
  ];
  // drop the most specific entry one at a time: the next one in Kong's order must win
  const ORDER = ['consumer+route+service', 'consumer+route', 'consumer+service', 'route+service', 'consumer', 'route', 'service', 'global'];
  for (let i = 0; i < ORDER.length; i++) {
    const present = ALL.filter((p) => ORDER.slice(i).includes(p.path));
    const consumerWinner = ORDER[i]!;
    const anonymousWinner = ORDER.slice(i).find((p) => !p.startsWith('consumer'))!;
    it(`with ${ORDER.slice(i).join(', ')}: ${consumerWinner} for alice, ${anonymousWinner} before authentication`, () => {
      const chain = new ChainCompiler(present, env).chainFor({ name: 'r', service: 's' });
      assert.ok(chain);
      assert.deepEqual(at(chain.instances), [`rate-limiting@${anonymousWinner}`]);
      const alice = chain.byConsumer?.get('alice-id') ?? chain.instances;
      assert.deepEqual(at(alice), [`rate-limiting@${consumerWinner}`]);
    });
  }

  it('a route or service entry applies only to its own route or service', () => {
    const c = new ChainCompiler([entry(RL, 'route', { route: 'other' }), entry(KEY, 'service', { service: 'other' })], env);
    assert.equal(c.chainFor({ name: 'r', service: 's' }), null);
  });

  it('runs the chain by PRIORITY, highest first, whatever the declaration order', () => {
    const chain = new ChainCompiler([entry(RL, 'g1', {}), entry(COR, 'g2', {}), entry(KEY, 'g3', {})], env).chainFor({ name: 'r', service: 's' });
    assert.deepEqual(at(chain?.instances), ['cors@g2', 'key-auth@g3', 'rate-limiting@g1']);
  });

  it('shares one instance per entry across the routes it applies to (as Kong does)', () => {
    const c = new ChainCompiler([entry(RL, 'global', {})], env);
    const a = c.chainFor({ name: 'a', service: 's' });
    const b = c.chainFor({ name: 'b', service: 't' });
    assert.equal(a?.instances[0], b?.instances[0]);
    assert.equal(c.created.length, 1);
  });
});
