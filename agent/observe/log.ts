import { writeSync } from 'node:fs';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createAccessLog, type AccessLog } from './access-log.js';
import type { ByteSink } from './line-batcher.js';

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
export function createLoggers(level: LevelWithSilent, bindings: Record<string, unknown>, opts: { sharedDescriptor?: boolean } = {}): Loggers {
  // Synchronous writes from this thread, as Node's own stdout and nginx's access_log do. The
  // access log batches its lines (one write per ~32 KiB); other lines are rare. Measured: async
  // writes go through libuv's thread pool, and waking a pool thread per write cost the edge more
  // than the write itself (a context switch on the proxy's core, every few dozen requests).
  const destination = pino.destination({ dest: 1, sync: true });
  const base = { pid: process.pid, ...bindings };
  const root = pino({ level, base, timestamp: pino.stdTimeFunctions.isoTime, redact: REDACT }, destination);
  // the access log shares the descriptor; its lines carry epoch-ms times like pino's default
  const sink = opts.sharedDescriptor === true ? wholeLines(fdSink(1)) : fdSink(1);
  const access = createAccessLog(sink, root.isLevelEnabled('info'), { ...base, component: 'access' });
  return { root, access, flush: () => { access.flush(); try { destination.flushSync(); } catch { root.flush(); } } };
}

/** POSIX: a write to a pipe of at most this many bytes is not interleaved with other writers' */
export const PIPE_BUF = 4096;

/**
 * Workers share one stdout: a batch is written in pieces of at most PIPE_BUF bytes that end at a
 * line end, so lines of different processes never interleave (a longer line goes in pieces).
 */
export function wholeLines(sink: ByteSink): ByteSink {
  return (bytes, length) => {
    let off = 0;
    while (off < length) {
      let end = Math.min(length, off + PIPE_BUF);
      if (end < length) {
        const nl = bytes.lastIndexOf(0x0a, end - 1);
        if (nl >= off) end = nl + 1;
      }
      sink(off === 0 ? bytes : bytes.subarray(off), end - off);
      off = end;
    }
  };
}

const EAGAIN_RETRIES = 100;
const retryPause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all bytes to `fd` synchronously. A non-blocking pipe that stays full (EAGAIN, no byte
 * taken) is retried for up to ~100 ms, as sonic-boom does; then the rest of the batch is dropped,
 * never queued without bound. A reader that keeps taking bytes is waited for.
 */
export function fdSink(fd: number): ByteSink {
  return (bytes, length) => {
    let off = 0;
    let retries = 0;
    while (off < length) {
      try {
        off += writeSync(fd, bytes, off, length - off);
        retries = 0;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || ++retries > EAGAIN_RETRIES) return;
        Atomics.wait(retryPause, 0, 0, 1);
      }
    }
  };
}
