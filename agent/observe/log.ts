import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createAccessLog, type AccessLog } from './access-log.js';

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
  readonly access: AccessLog;
  /** flushes what the destination still buffers (at exit) */
  flush(): void;
}

/** One destination per process; components take children made once at start-up. */
export function createLoggers(level: LevelWithSilent, bindings: Record<string, unknown>): Loggers {
  // writes are batched (one write per 8 KiB at load: the access log is one line per request),
  // and a timer flushes the rest so a quiet agent's lines still appear within a quarter second
  const destination = pino.destination({ dest: 1, sync: false, minLength: 8 * 1024 });
  const timer = setInterval(() => { try { destination.flush(); } catch { /* not ready yet */ } }, 250);
  timer.unref();
  const base = { pid: process.pid, ...bindings };
  const root = pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime, redact: REDACT }, destination);
  // the access log shares the destination; its lines carry epoch-ms times like pino's default
  const access = createAccessLog(destination, root.isLevelEnabled('info'), { ...base, component: 'access' });
  return { root, access, flush: () => { access.flush(); clearInterval(timer); try { destination.flushSync(); } catch { root.flush(); } } };
}
