const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms" | "10s" | "1m" | "2h" → milliseconds. The schema guarantees the shape. */
export function parseDurationMs(text: string): number {
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

/** milliseconds → Consul's duration text ("1500ms", "10s"). */
export function consulDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
