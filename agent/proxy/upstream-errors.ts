// The only place that maps undici/Node errors to meshgate's error table.
import { ERRORS, type ErrorCode } from '../../proto/errors.js';
import { MESH_ERROR } from '../../proto/headers.js';

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);
const RESETS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** A TLS handshake that failed (certificate, identity, protocol): the request was never sent. */
function isHandshakeFailure(code: string): boolean {
  return code === 'ERR_MESH_IDENTITY' || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')
    || code.startsWith('UNABLE_TO_') || code.startsWith('CERT_') || code.endsWith('_SELF_SIGNED_CERT') || code === 'SELF_SIGNED_CERT_IN_CHAIN';
}

/** the code of the error Exchange aborts with when write_timeout passes */
export const WRITE_TIMEOUT = 'MG_ERR_WRITE_TIMEOUT';

/** the codes Exchange aborts with when the client's body stops or is too slow (body-watchdog.ts) */
export const BODY_TIMEOUT = 'MG_ERR_BODY_TIMEOUT';
export const REQUEST_TIMEOUT = 'MG_ERR_REQUEST_TIMEOUT';

export function classifyUpstreamError(err: unknown): ErrorCode {
  const code = (err as { code?: string } | null)?.code ?? '';
  if (code === WRITE_TIMEOUT) return 'MG_UPSTREAM_TIMEOUT';
  if (code === BODY_TIMEOUT) return 'MG_BODY_TIMEOUT';
  if (code === REQUEST_TIMEOUT) return 'MG_REQUEST_TIMEOUT';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'MG_CONNECT_TIMEOUT';
  if (CONNECT_FAILURES.has(code) || isHandshakeFailure(code)) return 'MG_CONNECT_FAILED';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'MG_UPSTREAM_TIMEOUT';
  if (RESETS.has(code)) return 'MG_UPSTREAM_RESET';
  return 'MG_UPSTREAM_RESET';
}

/** The code a sidecar answered with when it never reached its service (a retryable one), else null. */
export function sidecarNeverReached(raw: readonly Buffer[]): ErrorCode | null {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === MESH_ERROR.length && raw[i]!.toString('latin1').toLowerCase() === MESH_ERROR) {
      const code = raw[i + 1]!.toString('latin1');
      return Object.hasOwn(ERRORS, code) && ERRORS[code as ErrorCode].retryable ? code as ErrorCode : null;
    }
  }
  return null;
}
