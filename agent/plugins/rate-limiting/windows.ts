// Rate-limit windows: fixed windows aligned to the UTC calendar, as Kong's timestamp.get_timestamps
// computes them (a minute starts at :00, a month on the 1st, a year on 1 January). Pure functions
// of a millisecond clock, so tests pass the time in.

export const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
export type Period = (typeof PERIODS)[number];

/** "Second", "Minute" … as Kong spells them in X-RateLimit-*-<Period> */
export const PERIOD_TITLE: Readonly<Record<Period, string>> = {
  second: 'Second', minute: 'Minute', hour: 'Hour', day: 'Day', month: 'Month', year: 'Year',
};

const FIXED_MS: Readonly<Record<'second' | 'minute' | 'hour' | 'day', number>> = {
  second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000,
};

/** One window of a period: [startMs, endMs). */
export interface Window {
  readonly period: Period;
  readonly startMs: number;
  readonly endMs: number;
}

/** Start of the window `offset` windows away from the one holding startMs (calendar-aware). */
function shiftedStart(period: Period, startMs: number, offset: number): number {
  if (period === 'month' || period === 'year') {
    const d = new Date(startMs);
    return period === 'month'
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1)
      : Date.UTC(d.getUTCFullYear() + offset, 0, 1);
  }
  return startMs + offset * FIXED_MS[period];
}

/** The window of `period` that holds nowMs. */
export function windowAt(period: Period, nowMs: number): Window {
  let startMs: number;
  if (period === 'month' || period === 'year') {
    const d = new Date(nowMs);
    startMs = Date.UTC(d.getUTCFullYear(), period === 'month' ? d.getUTCMonth() : 0, 1);
  } else {
    const size = FIXED_MS[period];
    startMs = Math.floor(nowMs / size) * size;
  }
  return { period, startMs, endMs: shiftedStart(period, startMs, 1) };
}

/** The window just before `w` (the "previous" window of a sliding estimate). */
export function previousWindow(w: Window): Window {
  return { period: w.period, startMs: shiftedStart(w.period, w.startMs, -1), endMs: w.startMs };
}

/** The window just after `w`. */
export function nextWindow(w: Window): Window {
  return { period: w.period, startMs: w.endMs, endMs: shiftedStart(w.period, w.startMs, 2) };
}

/**
 * Whole seconds until `w` ends, at least 1: Kong's `max(1, window - floor(elapsed))`, with the
 * calendar length of months and years instead of Kong's fixed 30 and 365 days.
 */
export function resetSeconds(w: Window, nowMs: number): number {
  const windowS = Math.round((w.endMs - w.startMs) / 1000);
  return Math.max(1, windowS - Math.floor((nowMs - w.startMs) / 1000));
}

/**
 * Weight of the previous window in a sliding estimate: 1 − elapsed/window. The estimate is
 * current + previous × weight, the "sliding window counter" approximation.
 */
export function previousWeight(w: Window, nowMs: number): number {
  const elapsed = Math.min(Math.max(nowMs - w.startMs, 0), w.endMs - w.startMs);
  return 1 - elapsed / (w.endMs - w.startMs);
}

/** The sliding estimate of requests in the last window-length of time. */
export function slidingEstimate(current: number, previous: number, weight: number): number {
  return current + previous * weight;
}
