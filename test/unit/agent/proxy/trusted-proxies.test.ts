import assert from 'node:assert/strict';
import { LOOPBACK_CIDRS, TrustedProxies } from '../../../../agent/proxy/trusted-proxies.js';

describe('TrustedProxies.trusts', () => {
  const ROWS: readonly [string[], string | undefined, boolean][] = [
    [['10.0.0.0/8'], '10.1.2.3', true],
    [['10.0.0.0/8'], '11.0.0.1', false],
    [['10.0.0.0/8'], '::ffff:10.1.2.3', true],
    [['10.0.0.0/8'], '::ffff:11.1.2.3', false],
    [['192.168.1.0/24'], '192.168.1.255', true],
    [['192.168.1.0/24'], '192.168.2.1', false],
    [['192.168.1.7'], '192.168.1.7', true],
    [['192.168.1.7'], '192.168.1.8', false],
    [['0.0.0.0/0'], '8.8.8.8', true],
    [['fd00::/8'], 'fd12::1', true],
    [['fd00::/8'], 'fe80::1', false],
    [['::1'], '::1', true],
    [['::1'], '::2', false],
    [['2001:db8::/32'], '2001:db8:1::5', true],
    [LOOPBACK_CIDRS, '127.0.0.1', true],
    [LOOPBACK_CIDRS, '127.255.0.9', true],
    [LOOPBACK_CIDRS, '::1', true],
    [LOOPBACK_CIDRS, '::ffff:127.0.0.1', true],
    [LOOPBACK_CIDRS, '10.0.0.1', false],
    [['10.0.0.0/8'], 'not-an-ip', false],
    [['10.0.0.0/8'], '', false],
    [['10.0.0.0/8'], undefined, false],
    [['10.0.0.0/8'], '10.1.2.3:8080', false],
    [[], '127.0.0.1', false],
    [[], '::1', false],
  ];
  for (const [cidrs, ip, want] of ROWS) {
    it(`[${cidrs.join(', ')}] ${want ? 'trusts' : 'does not trust'} ${JSON.stringify(ip)}`, () => {
      assert.equal(new TrustedProxies(cidrs).trusts(ip), want);
    });
  }

  it('trusts no one with an empty list', () => {
    assert.equal(new TrustedProxies([]).trusts('10.1.2.3'), false);
  });

  it('replace swaps the whole list and forgets remembered answers', () => {
    const t = new TrustedProxies(['10.0.0.0/8']);
    assert.equal(t.trusts('10.1.2.3'), true);
    t.replace(['192.168.0.0/16']);
    assert.equal(t.trusts('10.1.2.3'), false);
    assert.equal(t.trusts('192.168.1.1'), true);
    t.replace([]);
    assert.equal(t.trusts('192.168.1.1'), false);
  });
});

describe('TrustedProxies.clientIp', () => {
  const t = new TrustedProxies(['10.0.0.0/8', 'fd00::/8']);
  const ROWS: readonly [string, string | undefined, string][] = [
    ['10.0.0.1', '203.0.113.1', '203.0.113.1'],
    ['10.0.0.1', '198.51.100.1, 203.0.113.1', '203.0.113.1'],
    ['10.0.0.1', '198.51.100.1, 203.0.113.1, 10.0.0.2', '203.0.113.1'],
    ['10.0.0.1', '198.51.100.1,10.0.0.3,10.0.0.2', '198.51.100.1'],
    ['10.0.0.1', '  198.51.100.1  ,  10.0.0.2 ', '198.51.100.1'],
    ['10.0.0.1', '10.0.0.3, 10.0.0.2', '10.0.0.3'],
    ['10.0.0.1', '2001:db8::1, fd00::2', '2001:db8::1'],
    ['10.0.0.1', 'unknown, 10.0.0.2', 'unknown'],
    ['10.0.0.1', '198.51.100.1, , 10.0.0.2', '198.51.100.1'],
    ['10.0.0.1', '', '10.0.0.1'],
    ['10.0.0.1', undefined, '10.0.0.1'],
    ['203.0.113.50', '198.51.100.1', '203.0.113.50'],
    ['::ffff:10.0.0.1', '198.51.100.1', '198.51.100.1'],
  ];
  for (const [peer, xff, want] of ROWS) {
    it(`peer ${peer}, X-Forwarded-For ${JSON.stringify(xff)} → ${want}`, () => assert.equal(t.clientIp(peer, xff), want));
  }

  it('with an empty list, the peer is always the client', () => {
    assert.equal(new TrustedProxies([]).clientIp('127.0.0.1', '198.51.100.1'), '127.0.0.1');
  });
});
