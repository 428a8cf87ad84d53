// The one place an access-log line is written: exactly one per request. The line has a fixed
// schema, so it is formatted here directly (the same JSON shape pino writes: level, time,
// bindings, fields, msg), as bytes into a batch for the process's log descriptor (LineBatcher).
// Measured: pino's generic object serialisation of these 13 fields cost ~17 % of an edge core.
import { LineBatcher, type ByteSink } from './line-batcher.js';

export interface AccessLogEntry {
  readonly method: string;
  readonly path: string;
  readonly route: string;
  readonly service: string;
  readonly endpoint: string;
  readonly status: number;
  readonly bytes: number;
  /** an upgraded connection's (tunnel's) bytes from the client; `bytes` are those to it */
  readonly bytes_in?: number | undefined;
  /** milliseconds, -1 when no upstream answered; the line shows them rounded to hundredths */
  readonly upstream_ms: number;
  readonly total_ms: number;
  readonly request_id: string;
  readonly client_ip: string;
  readonly attempts: number;
  readonly error?: string | undefined;
  /** the verified mesh identity of the caller (sidecar inbound) */
  readonly source?: string | undefined;
  /** the authenticated consumer (edge plugins) */
  readonly consumer?: string | undefined;
  /** the W3C trace id when tracing is on */
  readonly trace_id?: string | undefined;
  /** a gRPC call's grpc-status */
  readonly grpc_status?: number | undefined;
}

export interface AccessLog {
  write(entry: AccessLogEntry): void;
  /** the same log with more fixed fields (serialised once, here) */
  child(bindings: Readonly<Record<string, string | number>>): AccessLog;
  /** hands pending lines to the destination (at exit) */
  flush(): void;
}

const HEAD = '{"level":30,"time":';

function fields(bindings: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const [k, v] of Object.entries(bindings)) out += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  return out;
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

class JsonAccessLog implements AccessLog {
  /** `,<bindings>,"method":`: fixed per logger */
  readonly #afterTime: string;
  readonly #afterTimeAscii: boolean;

  constructor(private readonly out: LineBatcher, private readonly prefix: string) {
    this.#afterTime = `${prefix},"method":`;
    this.#afterTimeAscii = PRINTABLE_ASCII.test(this.#afterTime);
  }

  flush(): void {
    this.out.close();
  }

  write(e: AccessLogEntry): void {
    const w = this.out;
    w.ascii(HEAD);
    w.number(Date.now());
    if (this.#afterTimeAscii) w.ascii(this.#afterTime); else w.text(this.#afterTime);
    w.jsonString(e.method);
    w.ascii(',"path":'); w.jsonString(e.path);
    w.ascii(',"route":'); w.jsonString(e.route);
    w.ascii(',"service":'); w.jsonString(e.service);
    w.ascii(',"endpoint":'); w.jsonString(e.endpoint);
    w.ascii(',"status":'); w.number(e.status);
    w.ascii(',"bytes":'); w.number(e.bytes);
    w.ascii(',"upstream_ms":'); w.hundredths(e.upstream_ms);
    w.ascii(',"total_ms":'); w.hundredths(e.total_ms);
    w.ascii(',"request_id":'); w.jsonString(e.request_id);
    w.ascii(',"client_ip":'); w.jsonString(e.client_ip);
    w.ascii(',"attempts":'); w.number(e.attempts);
    if (e.bytes_in !== undefined) { w.ascii(',"bytes_in":'); w.number(e.bytes_in); }
    if (e.error !== undefined) { w.ascii(',"error":'); w.jsonString(e.error); }
    if (e.source !== undefined) { w.ascii(',"source":'); w.jsonString(e.source); }
    if (e.consumer !== undefined) { w.ascii(',"consumer":'); w.jsonString(e.consumer); }
    if (e.trace_id !== undefined) { w.ascii(',"trace_id":'); w.ascii('"'); w.ascii(e.trace_id); w.ascii('"'); }
    if (e.grpc_status !== undefined) { w.ascii(',"grpc_status":'); w.number(e.grpc_status); }
    w.ascii(',"msg":"request"}');
    w.endLine();
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
