import assert from 'node:assert/strict';
import { compilePathNormalizer, LOCAL_PATH_POLICY, normalizePath } from '../../../../agent/table/normalize-path.js';

describe('normalizePath', () => {
  const ROWS: readonly [string, string | null][] = [
    // nothing to do
    ['/', '/'],
    ['/users/1', '/users/1'],
    // slashes merged (the edge's default)
    ['/a//b', '/a/b'],
    ['//a', '/a'],
    ['/a//', '/a/'],
    ['//', '/'],
    ['/a//../b', '/b'],
    // path parameters kept, dot segments carrying them refused (Tomcat reads "..;x" as "..")
    ['/a;v=1/b', '/a;v=1/b'],
    ['/a/b;jsessionid=1', '/a/b;jsessionid=1'],
    ['/a/..;/admin', null],
    ['/a/..;x/admin', null],
    ['/a/.;/b', null],
    ['/a/%2e%2e;/admin', null],
    ['/a/...;x', '/a/...;x'],
    ['/a/%3B', '/a/%3B'],
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
    ['/%E2%82%AC', '/%E2%82%AC'],
    ['/%F0%9F%98%80x', '/%F0%9F%98%80x'],
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
    // escaped bytes that are not UTF-8: overlong ".", "/", a lone continuation byte, a cut sequence, a surrogate
    ['/%C0%AE%C0%AE/etc', null],
    ['/%C0%AF', null],
    ['/%E0%80%AE', null],
    ['/%80', null],
    ['/%C3', null],
    ['/%C3x', null],
    ['/%ED%A0%80', null],
    ['/%F4%90%80%80', null],
    ['/%C3%zz', null],
    ['/%00', null],
    ['/admin%00.png', null],
    ['', null],
    ['users', null],
    ['*', null],
    ['http://example.com/a', null],
  ];
  for (const [input, want] of ROWS) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => assert.equal(normalizePath(input), want));
  }

  describe('policies (edge.http)', () => {
    const POLICIES: readonly [string, Parameters<typeof compilePathNormalizer>[0], string, string | null][] = [
      ['merge_slashes false', { mergeSlashes: false, escapedSlashes: 'reject', rejectSemicolons: false }, '/a//b', '/a//b'],
      ['merge_slashes false still removes dots', { mergeSlashes: false, escapedSlashes: 'reject', rejectSemicolons: false }, '/a//../b', '/a/b'],
      ['escaped_slashes keep', { mergeSlashes: true, escapedSlashes: 'keep', rejectSemicolons: false }, '/a%2fb/%5c', '/a%2Fb/%5C'],
      ['escaped_slashes keep: %2F is no segment boundary', { mergeSlashes: true, escapedSlashes: 'keep', rejectSemicolons: false }, '/public%2F..%2Fadmin', '/public%2F..%2Fadmin'],
      ['escaped_slashes unescape', { mergeSlashes: true, escapedSlashes: 'unescape', rejectSemicolons: false }, '/a%2Fb', '/a/b'],
      ['escaped_slashes unescape, then dots', { mergeSlashes: true, escapedSlashes: 'unescape', rejectSemicolons: false }, '/public%2F..%2Fadmin', '/admin'],
      ['escaped_slashes unescape, %5C too', { mergeSlashes: true, escapedSlashes: 'unescape', rejectSemicolons: false }, '/a%5C%5Cb', '/a/b'],
      ['path_parameters reject', { mergeSlashes: true, escapedSlashes: 'reject', rejectSemicolons: true }, '/a;v=1', null],
      ['path_parameters reject: escaped ";" is data', { mergeSlashes: true, escapedSlashes: 'reject', rejectSemicolons: true }, '/a%3Bv', '/a%3Bv'],
      ['a sidecar\'s local ports keep "//"', LOCAL_PATH_POLICY, '/a//b', '/a//b'],
    ];
    for (const [what, policy, input, want] of POLICIES) {
      it(`${what}: ${input} → ${JSON.stringify(want)}`, () => assert.equal(compilePathNormalizer(policy)(input), want));
    }
  });

  it('accepts exactly the two-byte escapes that are well-formed UTF-8 (all 65,536, against TextDecoder)', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const hex = (b: number) => b.toString(16).padStart(2, '0');
    for (let a = 0x80; a < 0x100; a++) {
      for (let b = 0; b < 0x100; b++) {
        let valid = b >= 0x80; // a lead byte followed by an ASCII byte never is a sequence
        if (valid) try { decoder.decode(Uint8Array.of(a, b)); } catch { valid = false; }
        // 3- and 4-byte leads with one continuation byte are cut short: refused either way
        const got = normalizePath(`/%${hex(a)}%${hex(b)}`) !== null;
        if (b === 0x2f || b === 0x5c) continue; // an escaped "/" after a cut sequence is refused anyway
        assert.equal(got, valid, `%${hex(a)}%${hex(b)}`);
      }
    }
  });

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
