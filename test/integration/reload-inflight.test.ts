// A reload while a request is on its way: the request finishes under the plugins it started with,
// and those are closed only after it, through a real edge listener and a real upstream.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { request } from 'undici';
import type { KongDeclarative } from '../../proto/config-schema.js';
import type { ConsulClient } from '../../registrar/consul-client.js';
import { startEdge, type StartedEdge } from '../../agent/edge/start-edge.js';
import { Metrics } from '../../agent/observe/metrics.js';
import { createAccessLog } from '../../agent/observe/access-log.js';

describe('reload with a request in flight', () => {
  let upstream: http.Server;
  let edge: StartedEdge;
  let release: (() => void) | null = null;
  let arrived: Promise<void>;
  let arrive: () => void;

  const kong = (port: number, limit: number): KongDeclarative => ({
    _format_version: '3.0',
    services: [{ name: 'slow', url: `http://127.0.0.1:${port}`, routes: [{ name: 'slow', paths: ['/'] }] }],
    plugins: [{ name: 'rate-limiting', config: { minute: limit, policy: 'local' } }],
  } as unknown as KongDeclarative);

  before(async () => {
    arrived = new Promise((r) => { arrive = r; });
    upstream = http.createServer((_req, res) => {
      release = () => res.end('done');
      arrive();
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    edge = await startEdge({
      listen: '127.0.0.1:0', kong: kong(port, 10), viaSidecars: false, trustedProxies: [], consul: {} as ConsulClient,
      log: pino({ level: 'silent' }), accessLog: createAccessLog({ write: () => true } as never, false, {}), metrics: new Metrics(),
      mesh: undefined, requestId: () => 'r1',
    });
  });

  after(async () => {
    await edge?.listener.drain(100);
    await edge?.runtime.stop();
    upstream?.closeAllConnections();
    await new Promise((r) => upstream?.close(r));
  });

  it('closes the old config\'s plugins only after the request that started under them has answered', async () => {
    let closed = 0;
    for (const inst of edge.runtime.table.routes[0]!.plugins!.instances) {
      const orig = inst.close?.bind(inst);
      inst.close = () => { closed++; return orig?.(); };
    }
    const port = (upstream.address() as AddressInfo).port;
    const pending = request(`http://127.0.0.1:${edge.listener.port}/`);
    await arrived;
    edge.runtime.applyConfig(kong(port, 20), false);
    assert.equal(closed, 0, 'the old plugins were closed under a request still using them');
    release!();
    const res = await pending;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-ratelimit-limit-minute'], '10', 'answered by the config it started under');
    assert.equal(await res.body.text(), 'done');
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, 1, 'closed once the request had finished');
  });
});
