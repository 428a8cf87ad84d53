import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hasNodeFlags, NODE_FLAGS } from '../../../agent/node-flags.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

describe('NODE_FLAGS', () => {
  it('bin/meshgate.js runs node with exactly these flags (shebang)', () => {
    const first = readFileSync(`${REPO}bin/meshgate.js`, 'utf8').split('\n')[0]!;
    assert.equal(first, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
  });

  it('the Dockerfile starts node with them', () => {
    const entry = /^ENTRYPOINT (.*)$/m.exec(readFileSync(`${REPO}deploy/Dockerfile`, 'utf8'))![1]!;
    assert.deepEqual(JSON.parse(entry), ['node', ...NODE_FLAGS, 'bin/meshgate.js']);
  });

  it('node accepts them and they fix the young generation (the semi-space does not shrink)', () => {
    const script = 'const s = require("v8").getHeapSpaceStatistics().find((x) => x.space_name === "new_space"); console.log(s.space_size)';
    const withFlags = spawnSync(process.execPath, [...NODE_FLAGS, '-e', script], { encoding: 'utf8' });
    const without = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    assert.equal(withFlags.status, 0, withFlags.stderr);
    assert.ok(Number(withFlags.stdout) >= 16 * 1024 * 1024, `new space with flags: ${withFlags.stdout}`);
    assert.ok(Number(without.stdout) < Number(withFlags.stdout), `new space without flags: ${without.stdout}`);
  });

  it('hasNodeFlags tells whether a process got all of them', () => {
    assert.equal(hasNodeFlags([...NODE_FLAGS, '--inspect']), true);
    assert.equal(hasNodeFlags([NODE_FLAGS[0]!]), false);
    assert.equal(hasNodeFlags([]), false);
  });
});
