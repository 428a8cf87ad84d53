// The admin endpoints of a primary with workers that only workers can answer (the explain report,
// the cache's): one worker answers over IPC and says whether the others must too (a purge acts on
// each worker's own memory store); their answers are joined here. The primary serves no request,
// so it holds no route table and no cache of its own.
import type { AdminAnswer, AdminCall, AdminReply, AdminSpread } from '../admin/admin-routes.js';
import { joinCacheStats } from '../plugins/proxy-cache/admin.js';
import type { StoreStats } from '../plugins/proxy-cache/store.js';

export interface AdminAsker<W> {
  /** the workers that serve (listening) */
  workers(): readonly W[];
  ask(w: W, call: AdminCall): Promise<AdminAnswer>;
}

type Join = Extract<AdminSpread, { across: 'every' }>['join'];

const noAnswer = (err: unknown): AdminReply => ({ status: 503, body: { message: `a worker did not answer: ${(err as Error).message}` } });

/** An action or lookup each worker did on its own state: a failure anywhere wins, then any success, else (all 404) the first. */
export function joinFound(replies: readonly AdminReply[]): AdminReply {
  return replies.find((r) => r.status >= 500) ?? replies.find((r) => r.status < 300) ?? replies[0] ?? noAnswer(new Error('no worker'));
}

export function joinReplies(join: Join, replies: readonly AdminReply[]): AdminReply {
  if (join === 'found') return joinFound(replies);
  const failed = replies.find((r) => r.status >= 300);
  if (failed !== undefined) return failed;
  return { status: 200, body: joinCacheStats(replies.map((r) => r.body as { stores: StoreStats[] })) };
}

export class AdminRelay<W> {
  /** the worker asked first, in turn (an explain pick advances that worker's balancer) */
  #turn = 0;

  constructor(private readonly asker: AdminAsker<W>) {}

  async reply(call: AdminCall): Promise<AdminReply> {
    const workers = this.asker.workers();
    if (workers.length === 0) return { status: 503, body: { message: 'no worker is serving yet' } };
    const first = workers[this.#turn++ % workers.length]!;
    let answer: AdminAnswer;
    try { answer = await this.asker.ask(first, call); } catch (err) { return noAnswer(err); }
    if (answer.spread.across === 'one') return answer.reply;
    const others = await Promise.all(workers.filter((w) => w !== first).map((w) => this.asker.ask(w, call).then((a) => a.reply, noAnswer)));
    return joinReplies(answer.spread.join, [answer.reply, ...others]);
  }
}
