import assert from 'node:assert/strict';
import { CommitWait, ReloadRound, type RoundOutcome } from '../../../../agent/workers/reload-round.js';

type Step = ['prepared', number, string | null] | ['gone', number] | ['timeout'];

describe('a reload round across workers', () => {
  const cases: { name: string; workers: number[]; steps: Step[]; want: RoundOutcome['kind']; errors?: RegExp }[] = [
    { name: 'every worker compiled: commit', workers: [11, 12], steps: [['prepared', 12, null], ['prepared', 11, null]], want: 'commit' },
    { name: 'one still compiling: pending', workers: [11, 12], steps: [['prepared', 11, null]], want: 'pending' },
    { name: 'one failed: abort at once, before the others answer', workers: [11, 12, 13], steps: [['prepared', 11, 'bad plugin']], want: 'abort', errors: /worker 11: bad plugin/ },
    { name: 'one exited before answering: abort', workers: [11, 12], steps: [['prepared', 11, null], ['gone', 12]], want: 'abort', errors: /worker 12 exited/ },
    { name: 'an exit after answering changes nothing', workers: [11, 12], steps: [['prepared', 11, null], ['gone', 11], ['prepared', 12, null]], want: 'commit' },
    { name: 'no answer in time: abort', workers: [11, 12], steps: [['prepared', 11, null], ['timeout']], want: 'abort', errors: /worker 12 did not answer/ },
    { name: 'answers from workers not in the round are ignored', workers: [11], steps: [['prepared', 99, 'other'], ['prepared', 11, null]], want: 'commit' },
    { name: 'no worker at all: abort', workers: [], steps: [], want: 'abort', errors: /no worker/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = new ReloadRound(1, c.workers);
      for (const s of c.steps) {
        if (s[0] === 'prepared') r.prepared(s[1], s[2]); else if (s[0] === 'gone') r.gone(s[1]); else r.timedOut();
      }
      const o = r.outcome;
      assert.equal(o.kind, c.want);
      if (c.errors) assert.match(o.kind === 'abort' ? o.errors.join('; ') : '', c.errors);
    });
  }
});

describe('waiting for every worker to swap after a commit', () => {
  it('resolves when all swapped or exited; answers for another generation do not count', async () => {
    const w = new CommitWait(3, [11, 12, 13]);
    const done = w.done(10_000);
    w.answered(11, 3);
    w.answered(12, 2);
    w.answered(13, 3);
    w.answered(12, 3);
    assert.deepEqual(await done, []);
  });

  it('names the workers that did not confirm in time', async () => {
    const w = new CommitWait(1, [11, 12]);
    w.answered(11, 1);
    assert.deepEqual(await w.done(10), [12]);
  });
});
