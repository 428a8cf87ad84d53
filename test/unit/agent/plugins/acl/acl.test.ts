import assert from 'node:assert/strict';
import { AUTHENTICATED_GROUPS, aclPlugin } from '../../../../../agent/plugins/acl/acl.js';
import { ConsumerIndex, type Consumer } from '../../../../../agent/plugins/consumers.js';
import type { RequestContext } from '../../../../../agent/plugins/context.js';
import { access, configIssues, createPlugin, fakeContext, pluginEnv, upstream } from '../support/fake-request.js';

const consumers = ConsumerIndex.compile({
  _format_version: '3.0',
  consumers: [
    { username: 'alice', acls: [{ group: 'admin' }, { group: 'staff' }] },
    { username: 'bob', acls: [{ group: 'staff' }] },
    { username: 'carol', acls: [{ group: 'banned' }] },
    { username: 'nogroups' },
  ],
});
const FORBIDDEN = { status: 403, body: { message: 'You cannot consume this service' } };
const UNAUTHORIZED = { status: 401, body: { message: 'Unauthorized' } };

/** A request some auth plugin authenticated as `username` (anonymously when asked). */
function as(username: string | null, opts: { anonymous?: boolean; headers?: [string, string][] } = {}): RequestContext {
  const ctx = fakeContext({ headers: opts.headers ?? [] });
  if (username === null) return ctx;
  const consumer: Consumer = consumers.find(username)!;
  ctx.consumer = consumer;
  ctx.credential = opts.anonymous ? null : { id: `cred-${username}`, identifier: `cred-${username}`, consumer };
  ctx.anonymous = opts.anonymous === true;
  return ctx;
}

const make = (raw: Record<string, unknown>) => createPlugin(aclPlugin, raw, pluginEnv(consumers));

describe('acl plugin', () => {
  describe('config', () => {
    const rows: readonly [string, Record<string, unknown>, boolean][] = [
      ['allow only', { allow: ['a'] }, true],
      ['deny only', { deny: ['a'] }, true],
      ['both', { allow: ['a'], deny: ['b'] }, false],
      ['neither', {}, false],
      ['an empty allow alone', { allow: [] }, false],
      ['a decK dump: deny null', { allow: ['a'], deny: null }, true],
      ['an empty deny next to allow', { allow: ['a'], deny: [] }, true],
      ['an unknown field', { allow: ['a'], whitelist: ['b'] }, false],
    ];
    for (const [name, raw, ok] of rows) {
      it(`${name}: ${ok ? 'valid' : 'refused'}`, () => {
        const { issues } = configIssues(aclPlugin, raw);
        assert.equal(issues.length === 0, ok, issues.join('; '));
      });
    }

    it('fills defaults', () => {
      assert.deepEqual(configIssues(aclPlugin, { allow: ['a'] }).config, { allow: ['a'], hide_groups_header: false, always_use_authenticated_groups: false });
    });
  });

  describe('decisions', () => {
    const rows: readonly [string, Record<string, unknown>, string | null, { anonymous?: boolean }, unknown, string | undefined][] = [
      ['allow: a member passes, groups sent upstream', { allow: ['admin'] }, 'alice', {}, undefined, 'admin, staff'],
      ['allow: any listed group is enough', { allow: ['nobody', 'staff'] }, 'bob', {}, undefined, 'staff'],
      ['allow: a non-member is forbidden', { allow: ['admin'] }, 'bob', {}, FORBIDDEN, undefined],
      ['allow: a consumer without groups is forbidden', { allow: ['admin'] }, 'nogroups', {}, FORBIDDEN, undefined],
      ['allow: an anonymous consumer without groups is unauthorized', { allow: ['admin'] }, 'nogroups', { anonymous: true }, UNAUTHORIZED, undefined],
      ['deny: a member is forbidden', { deny: ['banned'] }, 'carol', {}, FORBIDDEN, undefined],
      ['deny: a non-member passes', { deny: ['banned'] }, 'alice', {}, undefined, 'admin, staff'],
      ['deny: a consumer without groups passes', { deny: ['banned'] }, 'nogroups', {}, undefined, ''],
      ['no consumer at all is unauthorized', { allow: ['admin'] }, null, {}, UNAUTHORIZED, undefined],
      ['no consumer at all is unauthorized with deny too', { deny: ['banned'] }, null, {}, UNAUTHORIZED, undefined],
      ['group names are exact', { allow: ['Admin'] }, 'alice', {}, FORBIDDEN, undefined],
    ];
    for (const [name, config, who, opts, want, groups] of rows) {
      it(name, async () => {
        const ctx = as(who, opts);
        assert.deepEqual(await access(make(config), ctx), want);
        assert.equal(upstream(ctx, 'X-Consumer-Groups'), groups);
      });
    }

    it('the same plugin decides each consumer independently (per-consumer cache)', async () => {
      const p = make({ allow: ['admin'] });
      for (let i = 0; i < 2; i++) {
        assert.equal(await access(p, as('alice')), undefined);
        assert.deepEqual(await access(p, as('bob')), FORBIDDEN);
      }
    });
  });

  describe('groups header', () => {
    it('a client cannot send its own X-Consumer-Groups', async () => {
      const ctx = as('bob', { headers: [['X-Consumer-Groups', 'admin'], ['X-Authenticated-Groups', 'admin']] });
      assert.equal(await access(make({ allow: ['staff'] }), ctx), undefined);
      assert.deepEqual(ctx.upstreamHeaders.getAll('x-consumer-groups'), ['staff']);
      assert.equal(upstream(ctx, 'X-Authenticated-Groups'), undefined);
    });

    it('hide_groups_header sends no groups (and drops a client-sent one)', async () => {
      const ctx = as('alice', { headers: [['X-Consumer-Groups', 'forged']] });
      assert.equal(await access(make({ allow: ['admin'], hide_groups_header: true }), ctx), undefined);
      assert.equal(upstream(ctx, 'X-Consumer-Groups'), undefined);
    });
  });

  describe('authenticated groups (set by another plugin in ctx.shared)', () => {
    it('without a consumer they decide, sent as X-Authenticated-Groups', async () => {
      const ctx = as(null);
      ctx.shared.set(AUTHENTICATED_GROUPS, ['admin', 'x']);
      assert.equal(await access(make({ allow: ['admin'] }), ctx), undefined);
      assert.equal(upstream(ctx, 'X-Authenticated-Groups'), 'admin, x');
      assert.equal(upstream(ctx, 'X-Consumer-Groups'), undefined);
    });

    it("they override an anonymous consumer's own groups", async () => {
      const ctx = as('alice', { anonymous: true });
      ctx.shared.set(AUTHENTICATED_GROUPS, ['guest']);
      assert.deepEqual(await access(make({ allow: ['admin'] }), ctx), FORBIDDEN);
    });

    it("a credentialed consumer's groups win unless always_use_authenticated_groups", async () => {
      const setup = () => { const c = as('alice'); c.shared.set(AUTHENTICATED_GROUPS, ['guest']); return c; };
      assert.equal(await access(make({ allow: ['admin'] }), setup()), undefined);
      assert.deepEqual(await access(make({ allow: ['admin'], always_use_authenticated_groups: true }), setup()), FORBIDDEN);
    });
  });
});
