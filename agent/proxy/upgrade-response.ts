// The answer side of an upgrade request: node:http hands an `upgrade` over as a bare socket, so a
// ServerResponse is bound to it and the pipeline answers refusals and relays a declined upgrade
// (JSON errors, plugin short-circuits, the upstream's non-101 answer) exactly as for a normal
// request. Such an answer ends the connection; a 101 takes the socket back for the tunnel.
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export class UpgradeResponse extends ServerResponse {
  /** bytes the client sent after its request head: the start of the tunnel */
  readonly head: Buffer;
  readonly #socket: Socket;
  #taken = false;

  constructor(req: IncomingMessage, socket: Socket, head: Buffer) {
    super(req);
    this.head = head;
    this.#socket = socket;
    // the connection carries nothing after a non-101 answer: it says `Connection: close`
    this.shouldKeepAlive = false;
    this.assignSocket(socket);
    this.once('finish', () => { if (!this.#taken) socket.destroySoon(); });
  }

  /** The socket, no longer this response's, for the tunnel (after a 101). */
  takeSocket(): Socket {
    this.#taken = true;
    this.detachSocket(this.#socket);
    return this.#socket;
  }
}
