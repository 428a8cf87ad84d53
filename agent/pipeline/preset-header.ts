// One header every answer to a request carries, known before the answer is (the trace-id response
// header). node:http's setHeader would do, but once a header is set that way, writeHead with a
// flat header list takes its slow path: each listed header is removed and appended again, every
// name and value validated, and the head written from an object (setHeader and _storeHeader were
// the largest added cost of an edge tracing at 1 %, in CPU profiles of two edges loaded side by
// side). The HTTP/1.1 responses of meshgate's listeners are PresetHeaderResponse: the header waits
// in a field and joins the flat list when the head is written. Other responses (HTTP/2's
// compatibility layer) get setHeader.
import http from 'node:http';
import type { OutboundResponse } from './transport.js';

export class PresetHeaderResponse<Req extends http.IncomingMessage = http.IncomingMessage> extends http.ServerResponse<Req> {
  #name: string | null = null;
  #value = '';

  /** `name` must be lower case */
  preset(name: string, value: string): void {
    this.#name = name;
    this.#value = value;
  }

  // node:http's signatures: (status, headers?) and (status, reason, headers?)
  override writeHead(statusCode: number, reasonOrHeaders?: unknown, headers?: unknown): this {
    const name = this.#name;
    if (name !== null) {
      this.#name = null;
      const hasReason = typeof reasonOrHeaders === 'string';
      const list = hasReason ? headers : reasonOrHeaders;
      if (Array.isArray(list) && (list.length === 0 || typeof list[0] === 'string')) {
        // as with setHeader, a header of the same name in the list wins
        const flat = lists(list as string[], name) ? list : (list as string[]).concat(name, this.#value);
        return hasReason ? super.writeHead(statusCode, reasonOrHeaders as string, flat as never) : super.writeHead(statusCode, flat as never);
      }
      this.setHeader(name, this.#value);
    }
    return super.writeHead(statusCode, reasonOrHeaders as never, headers as never);
  }
}

function lists(flat: readonly string[], name: string): boolean {
  for (let i = 0; i < flat.length; i += 2) {
    const k = flat[i]!;
    if (k.length === name.length && k.toLowerCase() === name) return true;
  }
  return false;
}

/** Gives the answer `res` will write a header, the fast way where the response allows it. */
export function presetHeader(res: OutboundResponse, name: string, value: string): void {
  if (res instanceof PresetHeaderResponse) res.preset(name.toLowerCase(), value);
  else res.setHeader(name, value);
}
