import assert from 'node:assert/strict';
import pino from 'pino';
import type { KongDeclarative } from '../../../../proto/config-schema.js';
import type { ConsulClient } from '../../../../registrar/consul-client.js';
import { EdgeRuntime } from '../../../../agent/edge/edge-runtime.js';
import { Metrics } from '../../../../agent/observe/metrics.js';

const kong = (limit: number): KongDeclarative => ({
  _format_version: '3.0',
  services: [{ name: 'svc', url: 'http://127.0.0.1:9', routes: [{ name: 'r', paths: ['/'] }] }],
  plugins: [{ name: 'rate-limiting', config: { minute: limit, policy: 'local' } }],
} as unknown as KongDeclarative);

/** the route's plugin instances, each with a counter on close() */
function spyOnClose(rt: EdgeRuntime): { closed: number } {
  const seen = { closed: 0 };
  for (const inst of rt.table.routes[0]!.plugins!.instances) {
    const orig = inst.close?.bind(inst);
    inst.close = () => { seen.closed++; return orig?.(); };
  }
  return seen;
}

describe('EdgeRuntime reload: a replaced config\'s plugins close after its in-flight requests', () => {
  const make = () => new EdgeRuntime({
    kong: kong(10), viaSidecars: false, consul: {} as ConsulClient, log: pino({ level: 'silent' }), metrics: new Metrics(), mesh: undefined,
  });

  it('closes the old plugins at once when no request is in flight', async () => {
    const rt = make();
    const old = spyOnClose(rt);
    rt.applyConfig(kong(20), false);
    assert.equal(old.closed, 1);
    await rt.stop();
  });

  it('keeps the old plugins open while a request that started under them runs, and closes them when it ends', async () => {
    const rt = make();
    const old = spyOnClose(rt);
    const lease = rt.table.inFlight; // what the edge's route phase holds for a request on a plugin route
    lease.enter();
    rt.applyConfig(kong(20), false);
    assert.notEqual(rt.table.inFlight, lease, 'the new table has its own count');
    assert.equal(old.closed, 0, 'closed under an in-flight request');
    lease.leave();
    assert.equal(old.closed, 1);
    await rt.stop();
  });
});
