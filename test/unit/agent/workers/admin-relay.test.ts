import assert from 'node:assert/strict';
import { AdminRoutes, type AdminAnswer, type AdminCall, type AdminReply } from '../../../../agent/admin/admin-routes.js';
import { AdminRelay, joinFound, joinReplies } from '../../../../agent/workers/admin-relay.js';

const r = (status: number, body?: unknown): AdminReply => (body === undefined ? { status } : { status, body });

/** workers as AdminRoutes in this process: what each is asked is recorded */
function workers(n: number, setup: (routes: AdminRoutes, index: number) => void) {
  const asked: number[] = [];
  const all = Array.from({ length: n }, (_, i) => { const routes = new AdminRoutes(); setup(routes, i); return { i, routes }; });
  const relay = new AdminRelay({
    workers: () => all,
    ask: (w, call: AdminCall): Promise<AdminAnswer> => { asked.push(w.i); return w.routes.answer(call); },
  });
  return { relay, asked };
}

describe('the primary\'s admin relay to its workers', () => {
  it('joins "found" answers: a failure anywhere wins, then any success, else the first', () => {
    const cases: [AdminReply[], AdminReply][] = [
      [[r(204), r(204)], r(204)],
      [[r(404, 'a'), r(204)], r(204)],
      [[r(404, 'a'), r(404, 'b')], r(404, 'a')],
      [[r(204), r(503, 'down')], r(503, 'down')],
      [[r(200, 'x'), r(404, 'b')], r(200, 'x')],
    ];
    for (const [replies, want] of cases) assert.deepEqual(joinFound(replies), want, JSON.stringify(replies));
    assert.equal(joinFound([]).status, 503);
  });

  it('joins the cache listing: memory sizes and bounds added up, Redis connected only if every worker is; a failure is passed on', () => {
    const worker = (entries: number, bytes: number, connected: boolean) => r(200, {
      stores: [
        { strategy: 'memory', dictionary_name: 'kong_db_cache', entries, bytes, max_bytes: 1000, max_object_bytes: 100 },
        { strategy: 'redis', address: '127.0.0.1:6379/0', connected },
      ],
    });
    assert.deepEqual(joinReplies('cache-stats', [worker(2, 300, true), worker(4, 500, false)]), r(200, {
      stores: [
        { strategy: 'memory', dictionary_name: 'kong_db_cache', entries: 6, bytes: 800, max_bytes: 2000, max_object_bytes: 100 },
        { strategy: 'redis', address: '127.0.0.1:6379/0', connected: false },
      ],
    }));
    assert.deepEqual(joinReplies('cache-stats', [worker(1, 1, true), r(503, { message: 'x' })]), r(503, { message: 'x' }));
  });

  it('asks one worker, in turn, for a one-worker endpoint', async () => {
    const { relay, asked } = workers(3, (routes, i) => routes.register('GET', '/debug/explain', () => r(200, { worker: i })));
    const bodies = [];
    for (let k = 0; k < 4; k++) bodies.push((await relay.reply({ method: 'GET', url: '/debug/explain?url=x' })).body);
    assert.deepEqual(bodies, [{ worker: 0 }, { worker: 1 }, { worker: 2 }, { worker: 0 }]);
    assert.deepEqual(asked, [0, 1, 2, 0]);
  });

  it('asks every worker when the endpoint says so, and joins their answers', async () => {
    const held = [new Set(['k']), new Set<string>()];
    const { relay, asked } = workers(2, (routes, i) => routes.register('DELETE', '/cache', (_c, rest) => (held[i]!.delete(rest) ? r(204) : r(404, { message: 'Not found' })), { across: 'every', join: 'found' }));
    // the worker asked first (1) does not hold it; the other does
    await relay.reply({ method: 'GET', url: '/nothing' });
    assert.deepEqual(await relay.reply({ method: 'DELETE', url: '/cache/k' }), r(204));
    assert.deepEqual(asked.slice(1).sort(), [0, 1]);
    assert.deepEqual(await relay.reply({ method: 'DELETE', url: '/cache/k' }), r(404, { message: 'Not found' }));
  });

  it('answers 404 or 405 as the admin server would for what no worker has, 503 when no worker serves or one does not answer', async () => {
    const { relay } = workers(2, () => {});
    assert.deepEqual(await relay.reply({ method: 'GET', url: '/nope' }), r(404, { message: 'Not found' }));
    assert.deepEqual(await relay.reply({ method: 'POST', url: '/nope' }), r(405, { message: 'Method not allowed' }));
    const none = new AdminRelay<never>({ workers: () => [], ask: () => Promise.reject(new Error('unreachable')) });
    assert.equal((await none.reply({ method: 'GET', url: '/debug/explain' })).status, 503);
    const silent = new AdminRelay({ workers: () => [1], ask: () => Promise.reject(new Error('no answer within 2000 ms')) });
    const late = await silent.reply({ method: 'GET', url: '/debug/explain' });
    assert.equal(late.status, 503);
    assert.match((late.body as { message: string }).message, /no answer within 2000 ms/);
  });
});
