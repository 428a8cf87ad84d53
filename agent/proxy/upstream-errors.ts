// The only place that maps undici/Node errors to meshgate's error table.
import type { ErrorCode } from '../../proto/errors.js';

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);
const RESETS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** A TLS handshake that failed (certificate, identity, protocol): the request was never sent. */
function isHandshakeFailure(code: string): boolean {
  return code === 'ERR_MESH_IDENTITY' || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')
    || code.startsWith('UNABLE_TO_') || code.startsWith('CERT_') || code.endsWith('_SELF_SIGNED_CERT') || code === 'SELF_SIGNED_CERT_IN_CHAIN';
}

/** the code of the error Exchange aborts with when write_timeout passes */
export const WRITE_TIMEOUT = 'MG_ERR_WRITE_TIMEOUT';

export function classifyUpstreamError(err: unknown): ErrorCode {
  const code = (err as { code?: string } | null)?.code ?? '';
  if (code === WRITE_TIMEOUT) return 'MG_UPSTREAM_TIMEOUT';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'MG_CONNECT_TIMEOUT';
  if (CONNECT_FAILURES.has(code) || isHandshakeFailure(code)) return 'MG_CONNECT_FAILED';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'MG_UPSTREAM_TIMEOUT';
  if (RESETS.has(code)) return 'MG_UPSTREAM_RESET';
  return 'MG_UPSTREAM_RESET';
}
