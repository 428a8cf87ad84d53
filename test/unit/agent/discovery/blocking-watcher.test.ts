import assert from 'node:assert/strict';
import type { ConsulClient } from '../../../../registrar/consul-client.js';
import { BlockingWatcher } from '../../../../agent/discovery/blocking-watcher.js';

type Step = { index: number; body: unknown } | Error;

/** A scripted Consul: answers each blocking call with the next step; past the script it blocks until aborted. */
class ScriptedConsul {
  readonly sentIndexes: number[] = [];
  #steps: Step[];
  #drained!: () => void;
  readonly drained = new Promise<void>((r) => { this.#drained = r; });
  constructor(steps: Step[]) { this.#steps = [...steps]; }

  async get(_path: string, _q: unknown, block: { index: number; signal?: AbortSignal }): Promise<{ index: number; body: unknown }> {
    this.sentIndexes.push(block.index);
    const step = this.#steps.shift();
    if (step === undefined) {
      this.#drained();
      return new Promise((_, reject) => block.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
    }
    if (step instanceof Error) throw step;
    return step;
  }
}

async function watch(steps: Step[], changeOn?: 'body' | 'index') {
  const consul = new ScriptedConsul(steps);
  const changes: { body: unknown; afterError: boolean }[] = [];
  const errors: number[] = [];
  const w = new BlockingWatcher(consul as unknown as ConsulClient, {
    name: 't', path: '/v1/health/service/x', minIntervalMs: 0, ...(changeOn ? { changeOn } : {}),
    onChange: (body, afterError) => changes.push({ body, afterError }),
    onError: (_e, attempt) => errors.push(attempt),
  });
  w.start();
  await consul.drained;
  const status = w.status();
  await w.stop();
  return { consul, changes, errors, status, w };
}

describe('BlockingWatcher (one blocking-query loop that stores and signals)', () => {
  it('blocks on the index Consul returned, and signals only when the body differs', async () => {
    const { consul, changes } = await watch([
      { index: 5, body: ['a'] }, { index: 7, body: ['a'] }, { index: 9, body: ['a', 'b'] },
    ]);
    assert.deepEqual(consul.sentIndexes, [0, 5, 7, 9]);
    assert.deepEqual(changes, [{ body: ['a'], afterError: false }, { body: ['a', 'b'], afterError: false }]);
  });

  it('changeOn index: a moved index is a change even with the same body', async () => {
    const { changes } = await watch([{ index: 5, body: [] }, { index: 6, body: [] }, { index: 6, body: [] }], 'index');
    assert.equal(changes.length, 2);
  });

  it('resets to index 0 when Consul\'s index goes backwards (restart, snapshot restore)', async () => {
    const { consul } = await watch([{ index: 50, body: 1 }, { index: 3, body: 2 }, { index: 4, body: 3 }]);
    assert.deepEqual(consul.sentIndexes, [0, 50, 0, 4]);
  });

  it('after errors: index back to 0, attempts counted, the next good answer flagged afterError, then not', async () => {
    const { consul, changes, errors, status } = await watch([
      { index: 10, body: 'x' }, new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), { index: 11, body: 'y' }, { index: 12, body: 'z' },
    ]);
    assert.deepEqual(consul.sentIndexes, [0, 10, 0, 0, 11, 12]);
    assert.deepEqual(errors, [1, 2]);
    assert.deepEqual(changes.map((c) => c.afterError), [false, true, false]);
    assert.equal(status.errors, 2);
    assert.equal(status.lastError, undefined, 'cleared by the good answer');
  });

  it('after errors, an unchanged body is not signalled again', async () => {
    const { changes } = await watch([{ index: 10, body: 'x' }, new Error('boom'), { index: 11, body: 'x' }]);
    assert.equal(changes.length, 1);
  });

  it('firstResult resolves on the first answer; ageMs is 0 while a blocking call waits healthily', async () => {
    const consul = new ScriptedConsul([{ index: 1, body: [] }]);
    const w = new BlockingWatcher(consul as unknown as ConsulClient, { name: 't', path: '/p', minIntervalMs: 0, onChange: () => {} });
    assert.equal(w.ageMs(), Infinity);
    w.start();
    await w.firstResult;
    await consul.drained;
    assert.equal(w.hasResult, true);
    assert.equal(w.ageMs(), 0);
    await w.stop();
  });

  it('stop() ends a blocking call in flight', async () => {
    const consul = new ScriptedConsul([]);
    const w = new BlockingWatcher(consul as unknown as ConsulClient, { name: 't', path: '/p', onChange: () => {} });
    w.start();
    await consul.drained;
    await w.stop();
    assert.deepEqual(consul.sentIndexes, [0]);
  });
});
