import assert from 'node:assert/strict';
import { removeHeader } from '../../../../agent/proxy/flat-headers.js';

describe('removeHeader', () => {
  it('removes every field of the name, whatever its case, and keeps the others in order', () => {
    const flat = ['Content-Length', '5', 'ETag', '"e"', 'content-length', '6', 'Content-Lengths', 'x', 'X', 'y'];
    removeHeader(flat, 'content-length');
    assert.deepEqual(flat, ['ETag', '"e"', 'Content-Lengths', 'x', 'X', 'y']);
  });

  it('leaves an array without the name as it was', () => {
    const flat = ['ETag', '"e"'];
    removeHeader(flat, 'content-length');
    assert.deepEqual(flat, ['ETag', '"e"']);
    removeHeader(flat, 'etag');
    assert.deepEqual(flat, []);
  });
});
