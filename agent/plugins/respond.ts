// Building short-circuit answers the way Kong words them.
import type { ShortCircuit } from './plugin.js';

/** Kong's usual error shape: {"message": "..."} with the given status and extra headers. */
export function kongError(status: number, message: string, headers?: Record<string, string>): ShortCircuit {
  return { status, body: { message }, ...(headers ? { headers } : {}) };
}
