import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * One root logger per process; components take children made once at start-up.
 * Secrets never reach a line: these paths are redacted wherever they appear.
 */
export function createRootLogger(level: LevelWithSilent, bindings: Record<string, unknown>): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['token', '*.token', 'headers.authorization', 'headers.cookie', 'headers["x-consul-token"]', 'consul.token'],
      censor: '[redacted]',
    },
  }, pino.destination({ dest: 1, sync: false }));
}
