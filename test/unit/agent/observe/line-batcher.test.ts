import assert from 'node:assert/strict';
import { BATCH_BYTES, LineBatcher } from '../../../../agent/observe/line-batcher.js';

function collecting(): { sink: (b: Buffer, n: number) => void; writes: string[]; all: () => string } {
  const writes: string[] = [];
  return { writes, sink: (b, n) => { writes.push(b.subarray(0, n).toString('utf8')); }, all: () => writes.join('') };
}

describe('LineBatcher', () => {
  it('holds lines until BATCH_BYTES, then writes them in one piece, in order', () => {
    const c = collecting();
    const b = new LineBatcher(c.sink);
    const line = `${'x'.repeat(99)}\n`;
    const below = Math.ceil(BATCH_BYTES / 100) - 1;
    for (let i = 0; i < below; i++) b.add(line);
    assert.equal(c.writes.length, 0, `${below * 100} bytes: still pending`);
    b.add(line);
    assert.deepEqual(c.writes, [line.repeat(below + 1)]);
    b.close();
  });

  it('encodes UTF-8 (multi-byte characters survive) and close() hands over the rest', () => {
    const c = collecting();
    const b = new LineBatcher(c.sink);
    b.add('{"path":"/café/✓/😀"}\n');
    b.close();
    assert.deepEqual(c.writes, ['{"path":"/café/✓/😀"}\n']);
  });

  it('a line larger than the buffer goes out alone, after what was pending', () => {
    const c = collecting();
    const b = new LineBatcher(c.sink);
    const big = `${'y'.repeat(100_000)}\n`;
    b.add('first\n');
    b.add(big);
    b.add('last\n');
    b.close();
    assert.deepEqual(c.writes, ['first\n', big, 'last\n']);
  });

  const STRINGS = [
    '', 'plain', '/api/v1/users/1?x=2', 'quote " and backslash \\', 'tab\tnew line\ncr\r', '\u0000\u0001\u001f\u007f',
    'café', '✓ 😀', 'lone \ud800 surrogate', 'x'.repeat(300),
  ];
  for (const s of STRINGS) {
    it(`jsonString writes what JSON.stringify does: ${JSON.stringify(s).slice(0, 40)}`, () => {
      const c = collecting();
      const b = new LineBatcher(c.sink);
      b.jsonString(s);
      b.close();
      assert.equal(c.all(), JSON.stringify(s));
    });
  }

  it('number writes integers as JavaScript does (and other numbers too)', () => {
    const values = [0, 7, 9, 10, 99, 100, 101, 1795883810167, -1, -42, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1.5, 1e21, -0];
    const c = collecting();
    const b = new LineBatcher(c.sink);
    for (const v of values) { b.number(v); b.ascii(','); }
    b.close();
    assert.equal(c.all(), values.map((v) => `${v},`).join(''));
  });

  it('hundredths writes what `${Math.round(ms * 100) / 100}` does', () => {
    const values = [0, 0.004, 0.005, -0.004, -1, -1.237, 14.09, 14.1, 14, 99.995, 0.1, 0.07, 1234567.891];
    for (let i = 0; i < 2000; i++) values.push((Math.random() - 0.1) * 10 ** Math.floor(Math.random() * 7));
    const c = collecting();
    const b = new LineBatcher(c.sink);
    for (const v of values) { b.hundredths(v); b.ascii(' '); }
    b.close();
    assert.deepEqual(c.all().split(' ').slice(0, -1), values.map((v) => `${Math.round(v * 100) / 100}`));
  });

  it('a line that does not fit in what is left of the buffer still arrives whole and in order', () => {
    const c = collecting();
    const b = new LineBatcher(c.sink);
    const expected: string[] = [];
    for (let i = 0; i < 400; i++) {
      const s = `${'p'.repeat(i * 7 % 997)}-${i}`;
      b.ascii('{"a":'); b.jsonString(s); b.ascii(',"n":'); b.number(i); b.ascii('}'); b.endLine();
      expected.push(JSON.stringify({ a: s, n: i }));
    }
    b.close();
    assert.ok(c.writes.length > 1);
    assert.equal(c.all(), `${expected.join('\n')}\n`);
  });
});
