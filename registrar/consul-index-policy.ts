// X-Consul-Index handling for blocking queries, as Consul documents it: reset to 0 when the
// index goes backwards (a restart or snapshot restore) or is missing, and never block on 0 twice.

/** The index to use for the next blocking call, given the one we sent and the one returned. */
export function nextIndex(previous: number, returned: number | undefined): number {
  if (returned === undefined || !Number.isFinite(returned) || returned < 0) return 0;
  if (returned < previous) return 0;
  return returned < 1 ? 1 : returned;
}

/** Parses the X-Consul-Index header; undefined when absent or not a number. */
export function parseIndexHeader(value: string | string[] | undefined): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Exponential backoff with full jitter, capped. attempt starts at 1. */
export function backoffMs(attempt: number, baseMs = 250, capMs = 10_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 20));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}
