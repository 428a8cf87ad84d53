import assert from 'node:assert/strict';
import { BATCH_BYTES, LineBatcher, loggablePath } from '../../../../agent/observe/access-log.js';

describe('loggablePath', () => {
  const ROWS: readonly [string, string][] = [
    ['/a/b', '/a/b'],
    ['/a?x=1&y=2', '/a?x=1&y=2'],
    ['/a?apikey=s3cret&x=1', '/a?apikey=[redacted]&x=1'],
    ['/a?x=1&jwt=eyJ.a.b', '/a?x=1&jwt=[redacted]'],
    ['/a?ACCESS_TOKEN=t', '/a?ACCESS_TOKEN=[redacted]'],
    ['/a?api%5Fkey=t', '/a?api%5Fkey=[redacted]'],
    ['/a?token', '/a?token'],
    ['/a?tokens=1', '/a?tokens=1'],
  ];
  for (const [input, want] of ROWS) it(`${input} → ${want}`, () => assert.equal(loggablePath(input), want));
});

describe('LineBatcher', () => {
  function collecting(): { sink: (b: Buffer, n: number) => void; writes: string[] } {
    const writes: string[] = [];
    return { writes, sink: (b, n) => { writes.push(b.subarray(0, n).toString('utf8')); } };
  }

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
});
