// The one place an access-log line is written: exactly one per request.
import type { Logger } from 'pino';

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

export function writeAccessLog(log: Logger, entry: AccessLogEntry): void {
  log.info(entry, 'request');
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
