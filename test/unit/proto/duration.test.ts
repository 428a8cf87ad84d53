import assert from 'node:assert/strict';
import { consulDuration, parseDurationMs } from '../../../proto/duration.js';

describe('parseDurationMs', () => {
  const ROWS: readonly [string, number][] = [
    ['500ms', 500], ['0ms', 0], ['10s', 10_000], ['1m', 60_000], ['90m', 5_400_000], ['2h', 7_200_000], ['0s', 0],
  ];
  for (const [text, ms] of ROWS) {
    it(`${text} → ${ms}`, () => assert.equal(parseDurationMs(text), ms));
  }
  for (const bad of ['', '10', 's', '1.5s', '10 s', '-1s', '1d', '10S', ' 10s', '10sms']) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseDurationMs(bad), /not a duration/));
  }
});

describe('consulDuration', () => {
  const ROWS: readonly [number, string][] = [[1500, '1500ms'], [10_000, '10s'], [0, '0s'], [1, '1ms'], [60_000, '60s']];
  for (const [ms, text] of ROWS) {
    it(`${ms} → ${text}`, () => assert.equal(consulDuration(ms), text));
  }
  it('round-trips through parseDurationMs', () => {
    for (const ms of [1, 999, 1000, 1001, 65_000]) assert.equal(parseDurationMs(consulDuration(ms)), ms);
  });
});
