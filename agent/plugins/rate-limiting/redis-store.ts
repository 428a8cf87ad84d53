// Counters in Redis, exact across every edge agent that shares it: one Lua script per request
// reads the counters of every configured period, and only when all are under their limits
// increments them (PEXPIREAT on the first increment) — atomic in Redis, so concurrent requests
// from several agents can never let more than the limit through.
import type { Redis } from 'ioredis';
import type { CounterRequest, CounterResult, CounterStore } from './counters.js';

// KEYS[1..n]: current window keys; KEYS[n+1..2n]: previous window keys (sliding windows only).
// ARGV[1] = n; for period i: ARGV[1+i] limit, ARGV[1+n+i] previous weight, ARGV[1+2n+i] expire-at ms.
// Returns { allowed (0|1), count_1..count_n, previous_1..previous_n }.
export const RATE_LIMIT_LUA = `
local n = tonumber(ARGV[1])
local sliding = #KEYS > n
local counts, prev = {}, {}
local allowed = 1
for i = 1, n do
  counts[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
  prev[i] = 0
  if sliding then prev[i] = tonumber(redis.call('GET', KEYS[n + i]) or '0') end
  if counts[i] + prev[i] * tonumber(ARGV[1 + n + i]) >= tonumber(ARGV[1 + i]) then allowed = 0 end
end
if allowed == 1 then
  for i = 1, n do
    counts[i] = redis.call('INCR', KEYS[i])
    if counts[i] == 1 then redis.call('PEXPIREAT', KEYS[i], ARGV[1 + 2 * n + i]) end
  end
end
local out = { allowed }
for i = 1, n do
  out[1 + i] = counts[i]
  out[1 + n + i] = prev[i]
end
return out
`;

const COMMAND = 'meshgateRateLimit';
type WithScript = { [COMMAND](...args: (string | number)[]): Promise<number[]> };

/** Bounded wait for a client's first connection; afterwards commands fail fast instead. */
const firstConnection = new WeakMap<Redis, { settled: boolean; promise: Promise<void> }>();

function waitFirstConnection(client: Redis, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const events = ['ready', 'error', 'close', 'end'] as const;
    const done = () => {
      clearTimeout(timer);
      for (const e of events) client.off(e, done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(1, timeoutMs));
    for (const e of events) client.once(e, done);
    if (client.status === 'wait') client.connect().catch(() => { /* reported by the command */ });
  });
}

/**
 * Null when the client can be used right away; the first connection attempt of a lazy client
 * is waited for (so the first requests after start-up do not fail over), later outages are not.
 */
function untilFirstConnection(client: Redis, timeoutMs: number): Promise<void> | null {
  if (client.status === 'ready') return null;
  let first = firstConnection.get(client);
  if (first === undefined) {
    const state = { settled: false, promise: Promise.resolve() };
    state.promise = waitFirstConnection(client, timeoutMs).then(() => { state.settled = true; });
    firstConnection.set(client, state);
    first = state;
  }
  return first.settled ? null : first.promise;
}

export class RedisCounterStore implements CounterStore {
  readonly client: Redis;
  readonly connectTimeoutMs: number;

  constructor(client: Redis, opts: { connectTimeoutMs?: number } = {}) {
    this.client = client;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 2000;
    if (typeof (client as unknown as Partial<WithScript>)[COMMAND] !== 'function') {
      // EVALSHA, falling back to EVAL once after a NOSCRIPT (e.g. a Redis restart)
      client.defineCommand(COMMAND, { lua: RATE_LIMIT_LUA });
    }
  }

  async hit(req: CounterRequest): Promise<CounterResult> {
    const waiting = untilFirstConnection(this.client, this.connectTimeoutMs);
    if (waiting !== null) await waiting;
    const n = req.keys.length;
    const keys = req.previousKeys !== null ? [...req.keys, ...req.previousKeys] : req.keys;
    const args: (string | number)[] = [keys.length, ...keys, n];
    for (let i = 0; i < n; i++) args.push(String(req.limits[i]));
    for (let i = 0; i < n; i++) args.push(String(req.weights[i]));
    for (let i = 0; i < n; i++) args.push(Math.ceil(req.expireAtMs[i]!));
    const out = await (this.client as unknown as WithScript)[COMMAND](...args);
    if (!Array.isArray(out) || out.length !== 1 + 2 * n) throw new Error(`unexpected rate-limit script answer: ${JSON.stringify(out)}`);
    return { allowed: out[0] === 1, counts: out.slice(1, 1 + n).map(Number), previous: out.slice(1 + n).map(Number) };
  }
}
