import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const REDACT = {
  paths: ['token', '*.token', 'headers.authorization', 'headers.cookie', 'headers["x-consul-token"]', 'consul.token'],
  censor: '[redacted]',
};

export interface Loggers {
  readonly root: Logger;
  /**
   * The access log: its entries are built in one place (writeAccessLog) from fields that never
   * hold a secret, so it skips redaction, which would cost on every request.
   */
  readonly access: Logger;
}

/** One destination per process; components take children made once at start-up. */
export function createLoggers(level: LevelWithSilent, bindings: Record<string, unknown>): Loggers {
  const destination: DestinationStream = pino.destination({ dest: 1, sync: false });
  const base = { pid: process.pid, ...bindings };
  const root = pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime, redact: REDACT }, destination);
  // epoch milliseconds: an ISO date string per request costs more than the rest of the line's fields
  const access = pino({ level, base: { ...base, component: 'access' }, timestamp: pino.stdTimeFunctions.epochTime }, destination);
  return { root, access };
}
