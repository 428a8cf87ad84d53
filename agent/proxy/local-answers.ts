// Answers produced at this agent (errors, plugin short-circuits) and the flat-header edits they
// and the forwarder share.
import type { ServerResponse } from 'node:http';
import { MeshgateError, errorBody, type ErrorCode } from '../../proto/errors.js';
import { MESH_ERROR } from '../../proto/headers.js';
import type { ResponseHooks } from './forward.js';

export function removeHeader(flat: string[], lower: string): void {
  let w = 0;
  for (let r = 0; r < flat.length; r += 2) {
    if (flat[r]!.toLowerCase() === lower) continue;
    flat[w] = flat[r]!; flat[w + 1] = flat[r + 1]!; w += 2;
  }
  flat.length = w;
}

export function setContentLength(flat: string[], length: number): void {
  removeHeader(flat, 'content-length');
  removeHeader(flat, 'transfer-encoding');
  flat.push('content-length', String(length));
}

/** meshgate's own JSON error answer (one table, stable code); response hooks still apply. */
export function sendError(res: ServerResponse, code: ErrorCode, requestId: string, hooks?: ResponseHooks | null): void {
  if (res.headersSent) { res.destroy(); return; }
  const e = new MeshgateError(code);
  sendJson(res, e.status, errorBody(code, requestId), ['x-request-id', requestId, MESH_ERROR, code], hooks);
}

/** A JSON answer produced at this agent (errors, plugin short-circuits). */
export function sendJson(res: ServerResponse, status: number, body: string, extra: string[], hooks?: ResponseHooks | null): void {
  if (res.headersSent) { res.destroy(); return; }
  const headers = ['content-type', 'application/json; charset=utf-8', ...extra];
  hooks?.headers(status, headers);
  removeHeader(headers, 'transfer-encoding');
  setContentLength(headers, Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}
