import assert from 'node:assert/strict';
import { normalizePath } from '../../../../agent/table/normalize-path.js';

describe('normalizePath', () => {
  const ROWS: readonly [string, string | null][] = [
    // nothing to do
    ['/', '/'],
    ['/users/1', '/users/1'],
    ['/a//b', '/a//b'],
    ['/a.b/c.d', '/a.b/c.d'],
    // dot segments
    ['/a/./b', '/a/b'],
    ['/a/b/../c', '/a/c'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/..', '/'],
    ['/../../etc/passwd', '/etc/passwd'],
    ['/a/../../b', '/b'],
    ['/./', '/'],
    ['/a/.hidden/b', '/a/.hidden/b'],
    ['/a/...', '/a/...'],
    // unreserved escapes decoded
    ['/%7Euser', '/~user'],
    ['/%41', '/A'],
    ['/%61%62%63', '/abc'],
    ['/%2D%2E%5F%7E', '/-._~'],
    ['/%30%39', '/09'],
    ['/a/%2E%2E/b', '/b'],
    ['/a/%2e%2e/b', '/b'],
    ['/a/%2e/b', '/a/b'],
    // reserved escapes kept, upper-cased
    ['/a%3a', '/a%3A'],
    ['/a%3Ab', '/a%3Ab'],
    ['/%20', '/%20'],
    ['/a%3f', '/a%3F'],
    ['/%25', '/%25'],
    ['/%2541', '/%2541'],
    ['/%c3%a9', '/%C3%A9'],
    ['/%00', '/%00'],
    // refused
    ['/a%2Fb', null],
    ['/a%2fb', null],
    ['/a%5Cb', null],
    ['/a%5cb', null],
    ['/public%2F..%2Fadmin', null],
    ['/a\\b', null],
    ['/a\\..\\b', null],
    ['/%zz', null],
    ['/%4', null],
    ['/%', null],
    ['/%g1', null],
    ['', null],
    ['users', null],
    ['*', null],
    ['http://example.com/a', null],
  ];
  for (const [input, want] of ROWS) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => assert.equal(normalizePath(input), want));
  }

  it('returns the very same string on the fast path', () => {
    const p = '/api/v1/users/42';
    assert.equal(normalizePath(p), p);
  });

  it('is idempotent on what it accepts', () => {
    for (const [input] of ROWS) {
      const once = normalizePath(input);
      if (once !== null) assert.equal(normalizePath(once), once, input);
    }
  });
});
