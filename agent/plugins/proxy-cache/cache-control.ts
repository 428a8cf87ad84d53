// Cache-Control field parsing (RFC 9111 §5.2): directives are comma-separated, names are
// case-insensitive, arguments are tokens or quoted strings (which may contain commas).

export type Directives = ReadonlyMap<string, string | true>;

/** RFC 9111 §1.2.2: anything larger is taken as 2^31 */
const DELTA_MAX = 2_147_483_648;

/** Every Cache-Control field line of a message, merged; the first occurrence of a directive wins. */
export function parseCacheControl(values: readonly string[]): Directives {
  const out = new Map<string, string | true>();
  for (const value of values) {
    let i = 0;
    const n = value.length;
    while (i < n) {
      let j = i;
      while (j < n && value[j] !== ',' && value[j] !== '=') j++;
      const name = value.slice(i, j).trim().toLowerCase();
      let arg: string | true = true;
      if (j < n && value[j] === '=') {
        j++;
        while (j < n && value[j] === ' ') j++;
        if (value[j] === '"') {
          const end = value.indexOf('"', j + 1);
          const close = end < 0 ? n : end;
          arg = value.slice(j + 1, close);
          j = close + 1;
          while (j < n && value[j] !== ',') j++;
        } else {
          const start = j;
          while (j < n && value[j] !== ',') j++;
          arg = value.slice(start, j).trim();
        }
      }
      if (name !== '' && !out.has(name)) out.set(name, arg);
      i = j + 1;
    }
  }
  return out;
}

/**
 * A delta-seconds argument: undefined when the directive is absent, null when it is present but
 * not a number (a malformed max-age makes a response stale, RFC 9111 §4.2.1).
 */
export function deltaSeconds(d: Directives, name: string): number | null | undefined {
  const v = d.get(name);
  if (v === undefined) return undefined;
  if (v === true || !/^\d+$/.test(v)) return null;
  return Math.min(Number(v), DELTA_MAX);
}

/** The Age field as seconds (0 when absent or malformed). */
export function ageSeconds(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value.trim())) return 0;
  return Math.min(Number(value.trim()), DELTA_MAX);
}
