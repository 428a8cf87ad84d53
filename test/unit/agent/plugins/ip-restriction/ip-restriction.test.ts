import assert from 'node:assert/strict';
import { clientAddress, parseEntry } from '../../../../../agent/plugins/ip-restriction/address-list.js';
import { ipRestrictionPlugin } from '../../../../../agent/plugins/ip-restriction/ip-restriction.js';
import { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import { access, configIssues, createPlugin, fakeContext, pluginEnv } from '../support/fake-request.js';

const env = pluginEnv(new ConsumerIndex());

describe('ip-restriction plugin', () => {
  describe('config', () => {
    const cases: { name: string; config: Record<string, unknown>; issue: RegExp | null }[] = [
      { name: 'allow only', config: { allow: ['10.0.0.0/8'] }, issue: null },
      { name: 'deny only, decK nulls', config: { allow: null, deny: ['::1'], status: null, message: null }, issue: null },
      { name: 'neither allow nor deny', config: {}, issue: /at least one of these fields must be non-empty/ },
      { name: 'both empty', config: { allow: [], deny: [] }, issue: /at least one/ },
      { name: 'not an address', config: { deny: ['10.0.0.0/8', 'example.com'] }, issue: /deny\.1: invalid ip or cidr range/ },
      { name: 'an IPv4 prefix over 32', config: { allow: ['10.0.0.0/33'] }, issue: /allow\.0/ },
      { name: 'an IPv6 prefix over 128', config: { allow: ['2001:db8::/129'] }, issue: /allow\.0/ },
      { name: 'a status out of range', config: { deny: ['::1'], status: 99 }, issue: /status/ },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.issue === null ? 'accepted' : 'refused'}`, () => {
        const { issues } = configIssues(ipRestrictionPlugin, c.config);
        if (c.issue === null) assert.deepEqual(issues, []);
        else assert.ok(issues.some((i) => c.issue!.test(i)), issues.join('\n'));
      });
    }
  });

  describe('access', () => {
    const cases: { name: string; config: Record<string, unknown>; ip: string; blocked: boolean }[] = [
      { name: 'v4 in an allowed CIDR', config: { allow: ['10.0.0.0/8'] }, ip: '10.200.3.4', blocked: false },
      { name: 'v4 outside the allowed CIDR', config: { allow: ['10.0.0.0/8'] }, ip: '11.0.0.1', blocked: true },
      { name: 'a single allowed address', config: { allow: ['192.0.2.7'] }, ip: '192.0.2.8', blocked: true },
      { name: 'denied /32', config: { deny: ['127.0.0.1/32'] }, ip: '127.0.0.1', blocked: true },
      { name: 'not denied', config: { deny: ['127.0.0.1/32'] }, ip: '127.0.0.2', blocked: false },
      { name: 'deny is checked first', config: { allow: ['10.0.0.0/8'], deny: ['10.1.0.0/16'] }, ip: '10.1.2.3', blocked: true },
      { name: 'allowed, not in deny', config: { allow: ['10.0.0.0/8'], deny: ['10.1.0.0/16'] }, ip: '10.2.2.3', blocked: false },
      { name: 'v6 in an allowed CIDR', config: { allow: ['2001:db8::/32'] }, ip: '2001:db8:ffff::1', blocked: false },
      { name: 'v6 outside it', config: { allow: ['2001:db8::/32'] }, ip: '2001:db9::1', blocked: true },
      { name: 'v6 deny /64', config: { deny: ['2001:db8:1:2::/64'] }, ip: '2001:db8:1:2:aaaa::9', blocked: true },
      { name: 'v6 loopback denied', config: { deny: ['::1'] }, ip: '::1', blocked: true },
      { name: 'IPv4-mapped client against a v4 deny', config: { deny: ['127.0.0.0/8'] }, ip: '::ffff:127.0.0.1', blocked: true },
      { name: 'IPv4-mapped client against a v4 allow', config: { allow: ['192.0.2.0/24'] }, ip: '::ffff:192.0.2.9', blocked: false },
      { name: 'a v6 client against a v4-only allow', config: { allow: ['0.0.0.0/0'] }, ip: '2001:db8::1', blocked: true },
      { name: 'zone id dropped', config: { deny: ['fe80::/10'] }, ip: 'fe80::1%eth0', blocked: true },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.blocked ? 'blocked' : 'passes'}`, async () => {
        const p = createPlugin(ipRestrictionPlugin, c.config, env);
        const sc = await access(p, fakeContext({ clientIp: c.ip }));
        if (!c.blocked) { assert.equal(sc, undefined); return; }
        assert.ok(sc);
        assert.equal(sc.status, 403);
        assert.deepEqual(sc.body, { message: `IP address not allowed: ${c.ip}` });
      });
    }

    it('uses the trusted client IP, never X-Forwarded-For', async () => {
      const p = createPlugin(ipRestrictionPlugin, { deny: ['203.0.113.0/24'] }, env);
      const ctx = fakeContext({ clientIp: '203.0.113.5', headers: [['X-Forwarded-For', '10.0.0.1']] });
      assert.equal((await access(p, ctx))?.status, 403);
      const spoofed = fakeContext({ clientIp: '10.0.0.1', headers: [['X-Forwarded-For', '203.0.113.5']] });
      assert.equal(await access(p, spoofed), undefined);
    });

    it('answers with the configured status and message', async () => {
      const p = createPlugin(ipRestrictionPlugin, { deny: ['10.0.0.0/8'], status: 401, message: 'go away' }, env);
      assert.deepEqual(await access(p, fakeContext({ clientIp: '10.0.0.1' })), { status: 401, body: { message: 'go away' } });
    });

    it('refuses a client without an IP address', async () => {
      const p = createPlugin(ipRestrictionPlugin, { allow: ['0.0.0.0/0'] }, env);
      const sc = await access(p, fakeContext({ clientIp: '' }));
      assert.equal(sc?.status, 403);
      assert.match(String((sc?.body as { message: string }).message), /Cannot identify the client IP address/);
    });
  });

  describe('parseEntry / clientAddress', () => {
    const entries: [string, ReturnType<typeof parseEntry>][] = [
      ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
      ['10.1.2.3', { address: '10.1.2.3', prefix: 32, family: 'ipv4' }],
      ['2001:db8::/32', { address: '2001:db8::', prefix: 32, family: 'ipv6' }],
      ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
      ['10.0.0.0/', null], ['10.0.0.0/8/8', null], ['10.0.0.0/-1', null], ['10.0.0/8', null], ['', null],
    ];
    for (const [entry, want] of entries) it(`parseEntry(${JSON.stringify(entry)})`, () => assert.deepEqual(parseEntry(entry), want));

    const clients: [string, ReturnType<typeof clientAddress>][] = [
      ['::ffff:10.1.2.3', { address: '10.1.2.3', family: 'ipv4' }],
      ['fe80::1%lo', { address: 'fe80::1', family: 'ipv6' }],
      ['unix', null],
    ];
    for (const [ip, want] of clients) it(`clientAddress(${JSON.stringify(ip)})`, () => assert.deepEqual(clientAddress(ip), want));
  });
});
