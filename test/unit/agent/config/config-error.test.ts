import assert from 'node:assert/strict';
import { ConfigError, formatIssue, formatPath } from '../../../../agent/config/config-error.js';

describe('formatPath', () => {
  const ROWS: readonly [(string | number)[], string][] = [
    [[], ''],
    [['services', 1, 'routes', 0, 'paths', 0], 'services[1].routes[0].paths[0]'],
    [['edge', 'kong'], 'edge.kong'],
    [[0, 'a'], '[0].a'],
  ];
  for (const [segments, want] of ROWS) it(`${JSON.stringify(segments)} → "${want}"`, () => assert.equal(formatPath(segments), want));
});

describe('ConfigError', () => {
  it('lists every issue with its line in the message', () => {
    const e = new ConfigError('a.yaml', [{ path: 'x.y', message: 'is bad', line: 3 }, { path: '', message: 'root problem' }]);
    assert.equal(e.name, 'ConfigError');
    assert.equal(e.message, 'a.yaml: invalid configuration\n  x.y (line 3): is bad\n  (root): root problem');
  });
  it('formats an issue without a line', () => assert.equal(formatIssue({ path: 'a', message: 'm' }), '  a: m'));
});
