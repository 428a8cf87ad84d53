import assert from 'node:assert/strict';
import { loggablePath } from '../../../../agent/observe/access-log.js';

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
