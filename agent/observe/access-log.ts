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
