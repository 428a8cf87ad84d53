import assert from 'node:assert/strict';
import { InFlight } from '../../../../agent/pipeline/in-flight.js';

describe('InFlight (a replaced config closes after its last request)', () => {
  it('releases at once when nothing is in flight', () => {
    const f = new InFlight();
    let released = 0;
    f.retire(() => released++);
    assert.equal(released, 1);
  });

  it('releases once, when the last request that entered leaves', () => {
    const f = new InFlight();
    let released = 0;
    f.enter(); f.enter();
    f.retire(() => released++);
    assert.equal(released, 0);
    f.leave();
    assert.equal(released, 0, 'one request still in flight');
    f.leave();
    assert.equal(released, 1);
    f.enter(); f.leave();
    assert.equal(released, 1, 'released only once');
  });

  it('does not release while live: leaving to 0 before a reload releases nothing', () => {
    const f = new InFlight();
    let released = 0;
    f.enter(); f.leave();
    assert.equal(f.count, 0);
    f.enter();
    f.retire(() => released++);
    assert.equal(released, 0);
    f.leave();
    assert.equal(released, 1);
  });

  it('releases at the deadline when a request never ends', async () => {
    const f = new InFlight();
    let released = 0;
    f.enter();
    f.retire(() => released++, 20);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(released, 1);
    f.leave();
    assert.equal(released, 1);
  });
});
