// The one place an access-log line is written: exactly one per request. The line has a fixed
// schema, so it is formatted here directly (the same JSON shape pino writes: level, time,
// bindings, fields, msg) and written, batched, to the process's log descriptor. Measured: pino's generic
// object serialisation of these 13 fields cost ~17 % of an edge core; this costs a few %.

export interface AccessLogEntry {
  readonly method: string;
  readonly path: string;
  readonly route: string;
  readonly service: string;
  readonly endpoint: string;
  readonly status: number;
  readonly bytes: number;
  readonly upstream_ms: number;
  readonly total_ms: number;
  readonly request_id: string;
  readonly client_ip: string;
  readonly attempts: number;
  readonly error?: string;
  /** the verified mesh identity of the caller (sidecar inbound) */
  readonly source?: string;
  /** the authenticated consumer (edge plugins) */
  readonly consumer?: string;
}

export interface AccessLog {
  write(entry: AccessLogEntry): void;
  /** the same log with more fixed fields (serialised once, here) */
  child(bindings: Readonly<Record<string, string | number>>): AccessLog;
  /** hands pending lines to the destination (at exit) */
  flush(): void;
}

const INFO = 30;

function fields(bindings: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const [k, v] of Object.entries(bindings)) out += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  return out;
}

/** Where batched bytes go: one synchronous write of `bytes[0, length)`. */
export type ByteSink = (bytes: Buffer, length: number) => void;

/** Measured on this machine's disk: a write of 8 KiB costs ~6 µs, of 32 KiB ~10 µs (what nginx's
 * `access_log … buffer=` does, bounded in time by the 100 ms timer below). */
export const BATCH_BYTES = 32 * 1024;

/**
 * Lines encoded straight into one reusable buffer and handed over in ~32 KiB writes: a write costs
 * microseconds, encoding one line costs about one. Measured: gathering
 * lines into one string first made the writer flatten and re-encode a rope of hundreds of
 * pieces per write. A timer hands over what is pending every 100 ms.
 */
export class LineBatcher {
  #buf = Buffer.allocUnsafe(64 * 1024);
  #len = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly sink: ByteSink) {
    this.#timer = setInterval(() => this.flush(), 100);
    this.#timer.unref();
  }

  add(line: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit
    const most = line.length * 3;
    if (this.#len + most > this.#buf.length) {
      this.flush();
      if (most > this.#buf.length) { const b = Buffer.from(line); this.sink(b, b.length); return; }
    }
    this.#len += this.#buf.write(line, this.#len);
    if (this.#len >= BATCH_BYTES) this.flush();
  }

  flush(): void {
    if (this.#len === 0) return;
    const len = this.#len;
    this.#len = 0;
    this.sink(this.#buf, len);
  }

  close(): void {
    clearInterval(this.#timer);
    this.flush();
  }
}

/**
 * JSON string literals of the fields that repeat from line to line (method, route, service,
 * endpoint, client address): made once, looked up after. Bounded: past QUOTED_MAX distinct values
 * new ones are quoted each time.
 */
const QUOTED_MAX = 4096;
const quotedCache = new Map<string, string>();
function quoted(s: string): string {
  let q = quotedCache.get(s);
  if (q === undefined) {
    q = JSON.stringify(s);
    if (quotedCache.size < QUOTED_MAX) quotedCache.set(s, q);
  }
  return q;
}

class JsonAccessLog implements AccessLog {
  constructor(private readonly out: LineBatcher, private readonly prefix: string) {}

  flush(): void {
    this.out.close();
  }

  write(e: AccessLogEntry): void {
    let line = `{"level":${INFO},"time":${Date.now()}${this.prefix},"method":${quoted(e.method)},"path":${JSON.stringify(e.path)}`
      + `,"route":${quoted(e.route)},"service":${quoted(e.service)},"endpoint":${quoted(e.endpoint)}`
      + `,"status":${e.status},"bytes":${e.bytes},"upstream_ms":${e.upstream_ms},"total_ms":${e.total_ms}`
      + `,"request_id":${JSON.stringify(e.request_id)},"client_ip":${quoted(e.client_ip)},"attempts":${e.attempts}`;
    if (e.error !== undefined) line += `,"error":${JSON.stringify(e.error)}`;
    if (e.source !== undefined) line += `,"source":${JSON.stringify(e.source)}`;
    if (e.consumer !== undefined) line += `,"consumer":${JSON.stringify(e.consumer)}`;
    this.out.add(`${line},"msg":"request"}\n`);
  }

  child(bindings: Readonly<Record<string, string | number>>): AccessLog {
    return new JsonAccessLog(this.out, this.prefix + fields(bindings));
  }
}

const SILENT: AccessLog = { write() {}, child() { return SILENT; }, flush() {} };

/** The access log into `sink`, or a no-op when the level hides info lines. */
export function createAccessLog(sink: ByteSink, enabled: boolean, bindings: Readonly<Record<string, unknown>>): AccessLog {
  return enabled ? new JsonAccessLog(new LineBatcher(sink), fields(bindings)) : SILENT;
}

export function writeAccessLog(log: AccessLog, entry: AccessLogEntry): void {
  log.write(entry);
}

export function roundMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/** Query parameters whose values never reach a log line (credentials, as Kong's plugins name them). */
const SECRET_PARAMS = /^(apikey|api_key|api-key|key|jwt|token|access_token|id_token|refresh_token|password|passwd|secret|client_secret|signature|sig|code)$/i;

/** The request target for the log: values of credential-like query parameters replaced. */
export function loggablePath(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  let changed = false;
  const parts = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    let decoded = name;
    try { decoded = decodeURIComponent(name); } catch { /* keep it raw */ }
    if (eq < 0 || !SECRET_PARAMS.test(decoded)) return pair;
    changed = true;
    return `${name}=[redacted]`;
  });
  return changed ? `${url.slice(0, q)}?${parts.join('&')}` : url;
}
