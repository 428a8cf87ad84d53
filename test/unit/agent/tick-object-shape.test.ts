import assert from 'node:assert/strict';
import { TICK_SHAPE_HELD } from '../../../agent/tick-object-shape.js';

describe('tick-object-shape: the nextTick entry shape is held from start', () => {
  it("finds Node's async id symbols and holds two entries keyed like nextTick's (ids, callback, args)", () => {
    assert.equal(TICK_SHAPE_HELD.length, 2, 'this Node no longer names its async id symbols as tick-object-shape.ts expects');
    for (const entry of TICK_SHAPE_HELD) {
      const symbols = Object.getOwnPropertySymbols(entry).map((s) => s.description);
      assert.deepEqual(symbols, ['async_id_symbol', 'trigger_async_id_symbol']);
      assert.deepEqual(Object.keys(entry), ['callback', 'args']);
    }
  });
});
