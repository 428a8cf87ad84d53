// Bounded polling: every loop in the integration tests goes through here, so each one has
// both a time limit and an iteration limit and says what it was waiting for when it gives up.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Thrown from a waitFor callback to give up at once (e.g. the process being waited on died). */
export class GiveUp extends Error {
  override readonly name = 'GiveUp';
}

export interface WaitOptions {
  /** give up after this long (default 10 s) */
  readonly timeoutMs?: number;
  /** pause between attempts (default 100 ms) */
  readonly intervalMs?: number;
  /** what we are waiting for, for the error message */
  readonly what?: string;
}

/**
 * Calls fn until it returns a value other than undefined/false (which is then returned),
 * or throws once timeoutMs has passed. Exceptions from fn count as "not yet" (the last one is
 * reported), except GiveUp, which ends the wait at once. Bounded in time and in attempts.
 */
export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = Math.max(5, opts.intervalMs ?? 100);
  const deadline = Date.now() + timeoutMs;
  const maxAttempts = Math.ceil(timeoutMs / intervalMs) + 10;
  let last: unknown;
  let lastErr: unknown;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      if (err instanceof GiveUp) throw err;
      lastErr = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())));
  }
  const why = lastErr ? ` (last error: ${lastErr instanceof Error ? lastErr.message : String(lastErr)})` : ` (last value: ${JSON.stringify(last)})`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'a condition'}${why}`);
}

/** Runs fn every intervalMs while it returns true, at most timeoutMs; returns how many times it ran. */
export async function pollWhile(fn: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = 0;
  while (Date.now() < deadline && n < 100_000) {
    n++;
    if (!(await fn())) break;
    await sleep(intervalMs);
  }
  return n;
}
