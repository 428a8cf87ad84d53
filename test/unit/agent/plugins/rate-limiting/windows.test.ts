import assert from 'node:assert/strict';
import {
  nextWindow, previousWeight, previousWindow, resetSeconds, slidingEstimate, windowAt, type Period,
} from '../../../../../agent/plugins/rate-limiting/windows.js';
import { utc } from './fixtures.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('rate-limiting windows: calendar alignment (UTC)', () => {
  const ROWS: readonly [Period, string, string, string][] = [
    ['second', '2024-05-17T10:11:12.345Z', '2024-05-17T10:11:12.000Z', '2024-05-17T10:11:13.000Z'],
    ['minute', '2024-05-17T10:11:12.345Z', '2024-05-17T10:11:00.000Z', '2024-05-17T10:12:00.000Z'],
    ['hour', '2024-05-17T10:11:12.345Z', '2024-05-17T10:00:00.000Z', '2024-05-17T11:00:00.000Z'],
    ['day', '2024-05-17T10:11:12.345Z', '2024-05-17T00:00:00.000Z', '2024-05-18T00:00:00.000Z'],
    ['month', '2024-05-17T10:11:12.345Z', '2024-05-01T00:00:00.000Z', '2024-06-01T00:00:00.000Z'],
    ['year', '2024-05-17T10:11:12.345Z', '2024-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
    // exactly on a boundary: the new window
    ['minute', '2024-05-17T10:12:00.000Z', '2024-05-17T10:12:00.000Z', '2024-05-17T10:13:00.000Z'],
    ['day', '2024-12-31T23:59:59.999Z', '2024-12-31T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
    // months of every length, December → January
    ['month', '2024-02-29T23:59:59.999Z', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['month', '2023-02-15T00:00:00.000Z', '2023-02-01T00:00:00.000Z', '2023-03-01T00:00:00.000Z'],
    ['month', '2024-04-30T12:00:00.000Z', '2024-04-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z'],
    ['month', '2024-12-31T23:59:59.999Z', '2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
    ['month', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', '2025-02-01T00:00:00.000Z'],
    ['year', '2024-12-31T23:59:59.999Z', '2024-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
    ['year', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
  ];
  for (const [period, now, start, end] of ROWS) {
    it(`${period} at ${now} is [${start}, ${end})`, () => {
      const w = windowAt(period, utc(now));
      assert.deepEqual([w.period, iso(w.startMs), iso(w.endMs)], [period, start, end]);
    });
  }

  it('the start is Kong’s period_date (epoch milliseconds)', () => {
    assert.equal(windowAt('minute', 1_700_000_012_345).startMs, 1_699_999_980_000);
  });
});

describe('rate-limiting windows: neighbours', () => {
  const ROWS: readonly [Period, string, string, string][] = [
    ['minute', '2024-05-17T10:11:12Z', '2024-05-17T10:10:00.000Z', '2024-05-17T10:12:00.000Z'],
    ['month', '2024-03-10T00:00:00Z', '2024-02-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z'],
    ['month', '2025-01-10T00:00:00Z', '2024-12-01T00:00:00.000Z', '2025-02-01T00:00:00.000Z'],
    ['month', '2024-12-10T00:00:00Z', '2024-11-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
    ['year', '2024-06-01T00:00:00Z', '2023-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z'],
  ];
  for (const [period, now, prevStart, nextStart] of ROWS) {
    it(`${period} at ${now}: previous starts ${prevStart}, next starts ${nextStart}`, () => {
      const w = windowAt(period, utc(now));
      const prev = previousWindow(w);
      const next = nextWindow(w);
      assert.equal(iso(prev.startMs), prevStart);
      assert.equal(prev.endMs, w.startMs);
      assert.equal(iso(next.startMs), nextStart);
      assert.equal(next.startMs, w.endMs);
      assert.deepEqual(windowAt(period, next.startMs), next);
    });
  }
});

describe('rate-limiting windows: reset seconds (Kong: max(1, window − floor(elapsed)))', () => {
  const ROWS: readonly [Period, string, number][] = [
    ['second', '2024-05-17T10:11:12.000Z', 1],
    ['second', '2024-05-17T10:11:12.999Z', 1],
    ['minute', '2024-05-17T10:11:00.000Z', 60],
    ['minute', '2024-05-17T10:11:00.200Z', 60],
    ['minute', '2024-05-17T10:11:01.000Z', 59],
    ['minute', '2024-05-17T10:11:59.500Z', 1],
    ['hour', '2024-05-17T10:59:30.000Z', 30],
    ['day', '2024-05-17T23:00:00.000Z', 3600],
    // calendar lengths, not Kong's fixed 30 and 365 days
    ['month', '2024-01-31T00:00:00.000Z', 86_400],
    ['month', '2024-02-29T00:00:00.000Z', 86_400],
    ['month', '2024-02-01T00:00:00.000Z', 29 * 86_400],
    ['year', '2024-12-31T00:00:00.000Z', 86_400],
    ['year', '2024-01-01T00:00:00.000Z', 366 * 86_400],
  ];
  for (const [period, now, want] of ROWS) {
    it(`${period} at ${now} → ${want}`, () => {
      assert.equal(resetSeconds(windowAt(period, utc(now)), utc(now)), want);
    });
  }
});

describe('rate-limiting windows: sliding estimate (current + previous × (1 − elapsed/window))', () => {
  it('weighs the previous window by what is left of the current one', () => {
    const start = utc('2024-05-17T10:11:00Z');
    const w = windowAt('minute', start);
    const ROWS: readonly [number, number][] = [[0, 1], [15_000, 0.75], [30_000, 0.5], [45_000, 0.25], [59_999, 1 / 60_000]];
    for (const [elapsed, weight] of ROWS) assert.ok(Math.abs(previousWeight(w, start + elapsed) - weight) < 1e-9, `elapsed ${elapsed}`);
  });

  it('uses the calendar length of the current month', () => {
    const w = windowAt('month', utc('2024-02-01T00:00:00Z')); // 29 days
    assert.equal(previousWeight(w, utc('2024-02-15T12:00:00Z')), 0.5);
  });

  it('clamps clocks outside the window', () => {
    const w = windowAt('minute', utc('2024-05-17T10:11:00Z'));
    assert.equal(previousWeight(w, w.startMs - 5), 1);
    assert.equal(previousWeight(w, w.endMs + 5), 0);
  });

  it('estimates', () => {
    const ROWS: readonly [number, number, number, number][] = [[0, 0, 1, 0], [3, 10, 0.5, 8], [5, 10, 0, 5], [0, 4, 0.25, 1], [2, 0, 0.9, 2]];
    for (const [cur, prev, weight, want] of ROWS) assert.equal(slidingEstimate(cur, prev, weight), want);
  });
});
