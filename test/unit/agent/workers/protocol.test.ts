import assert from 'node:assert/strict';
import { isMeshgateMessage, materialFromWire, materialToWire, PendingAnswers } from '../../../../agent/workers/protocol.js';
import type { TlsMaterial } from '../../../../agent/transport/tls-material.js';

describe('workers protocol', () => {
  it('tells our messages from node:cluster\'s and prom-client\'s on the same channel', () => {
    const cases: [unknown, boolean][] = [
      [{ mg: 'pools', pools: [] }, true],
      [{ mg: 'hello' }, true],
      [{ cmd: 'NODE_CLUSTER', act: 'online' }, false],
      [{ type: 'prom-client:getMetricsReq', requestId: 1 }, false],
      [{ mg: 3 }, false],
      [null, false],
      ['pools', false],
    ];
    for (const [m, want] of cases) assert.equal(isMeshgateMessage(m), want, JSON.stringify(m));
  });

  it('sends TLS material as plain data and gets the same material back', () => {
    const leaf = { service: 'edge', certPem: 'C', keyPem: 'K', uri: 'spiffe://t/ns/default/dc/dc1/svc/edge', validFromMs: 1, validToMs: 2, serial: '01' };
    const m: TlsMaterial = { version: 7, rootsPem: ['R1', 'R2'], trustDomains: new Set(['t', 'old']), leaves: new Map([['edge', leaf]]) };
    const wire = JSON.parse(JSON.stringify(materialToWire(m))) as ReturnType<typeof materialToWire>;
    const back = materialFromWire(wire);
    assert.deepEqual(back.rootsPem, ['R1', 'R2']);
    assert.deepEqual([...back.trustDomains], ['t', 'old']);
    assert.deepEqual(back.leaves.get('edge'), leaf);
  });

  it('pairs answers with their requests by id; unknown and late answers are dropped', async () => {
    const p = new PendingAnswers<string>();
    const a = p.open();
    const b = p.open();
    assert.notEqual(a.id, b.id);
    assert.equal(p.settle(b.id, 'B'), true);
    assert.equal(p.settle(a.id, 'A'), true);
    assert.deepEqual(await Promise.all([a.answer, b.answer]), ['A', 'B']);
    assert.equal(p.settle(a.id, 'again'), false);
    assert.equal(p.settle(999, 'x'), false);
    assert.equal(p.size, 0);
  });

  it('rejects an answer that does not come in time, and all of them on failAll', async () => {
    const p = new PendingAnswers<number>();
    const late = p.open(10);
    await assert.rejects(late.answer, /no answer within 10 ms/);
    assert.equal(p.settle(late.id, 1), false);
    const open = [p.open(), p.open()];
    p.failAll(new Error('stopping'));
    for (const o of open) await assert.rejects(o.answer, /stopping/);
    assert.equal(p.size, 0);
  });
});
