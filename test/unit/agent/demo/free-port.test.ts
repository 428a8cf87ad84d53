import assert from 'node:assert/strict';
import { freePorts } from '../../../../agent/demo/free-port.js';

describe('freePorts', () => {
  it('gives distinct ports, none of the excluded ones, and leaves them free', async () => {
    const first = await freePorts(20);
    assert.equal(new Set(first).size, 20);
    const next = await freePorts(20, '127.0.0.1', first);
    assert.equal(new Set(next).size, 20);
    for (const p of next) assert.ok(!first.includes(p), `port ${p} was excluded`);
  });
});
