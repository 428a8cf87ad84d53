import assert from 'node:assert/strict';
import { SniIndex } from '../../../../../agent/edge/tls/sni-index.js';

describe('SniIndex: Kong\'s certificate order (exact, prefix wildcard, suffix wildcard, "*", default)', function () {
  const withStar = new SniIndex([['a.example.com', 'exact'], ['*.example.com', 'prefix'], ['a.example.*', 'suffix'], ['*', 'star']], 'default');
  const noStar = new SniIndex([['*.example.com', 'prefix'], ['example.*', 'suffix']], 'default');
  const cases: [SniIndex<string>, string | undefined, string][] = [
    [withStar, 'a.example.com', 'exact'],
    [withStar, 'A.Example.COM', 'exact'],
    [withStar, 'b.example.com', 'prefix'],
    [withStar, 'a.example.org', 'suffix'],
    [withStar, 'x.y.example.com', 'star'], // a wildcard stands for exactly one label
    [withStar, undefined, 'star'],
    [noStar, 'example.net', 'suffix'],
    [noStar, 'b.example.com', 'prefix'],
    [noStar, 'other', 'default'],
    [noStar, undefined, 'default'],
  ];
  for (const [index, name, want] of cases) {
    it(`${name ?? '(no SNI)'} → ${want}`, function () { assert.equal(index.lookup(name), want); });
  }
});
