// The client's side of an HTTP/1.1 Upgrade (tunnel-client.ts): node:http hands an `upgrade` over
// as a bare socket, so a ServerResponse is bound to it and the pipeline answers refusals and relays
// a declined upgrade (JSON errors, plugin short-circuits, the upstream's non-101 answer) exactly as
// for a normal request. Such an answer ends the connection; a 101 takes the socket back for the tunnel.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TunnelClient } from './tunnel-client.js';

export class UpgradeResponse extends ServerResponse implements TunnelClient {
  /** bytes the client sent after its request head: the start of the tunnel */
  readonly head: Buffer;
  readonly acceptStatus = 101;
  readonly protocol: string;
  readonly #socket: Socket;
  #taken = false;

  constructor(req: IncomingMessage, socket: Socket, head: Buffer) {
    super(req);
    this.head = head;
    this.protocol = req.headers.upgrade ?? '';
    this.#socket = socket;
    // the connection carries nothing after a non-101 answer: it says `Connection: close`
    this.shouldKeepAlive = false;
    this.assignSocket(socket);
    this.once('finish', () => { if (!this.#taken) socket.destroySoon(); });
  }

  get res(): this { return this; }

  gone(): boolean { return this.#socket.destroyed; }

  /** The 101 with the upstream's headers on the socket, which is no longer this response's but the tunnel's. */
  accept(headers: string[], upstreamRaw: readonly Buffer[]): Socket {
    headers.push('connection', 'Upgrade', 'upgrade', upgradeOf(upstreamRaw) ?? this.protocol);
    this.#taken = true;
    this.detachSocket(this.#socket);
    this.#socket.write(switchingProtocolsHead(headers));
    return this.#socket;
  }

  reset(): void { this.#socket.destroy(); }
}

/** the upstream's Upgrade value (the protocol it switched to) */
function upgradeOf(raw: readonly Buffer[]): string | undefined {
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 7 && raw[i]!.toString('latin1').toLowerCase() === 'upgrade') return raw[i + 1]!.toString('latin1');
  return undefined;
}

function switchingProtocolsHead(flat: readonly string[]): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (let i = 0; i < flat.length; i += 2) head += `${flat[i]}: ${flat[i + 1]}\r\n`;
  return `${head}\r\n`;
}
