// Kong's correlation-id generators: "uuid", "uuid#counter" (one random UUID per process and a
// counter, cheap and still unique), "tracker" (where and when the request arrived).
import { randomUUID } from 'node:crypto';
import type { InboundRequest } from '../../pipeline/transport.js';
import type { Socket } from 'node:net';

export type GeneratorName = 'uuid' | 'uuid#counter' | 'tracker';

const processUuid = randomUUID();
let counter = 0;

/** Connection serial numbers and per-connection request counts (nginx's $connection, $connection_requests). */
const connections = new WeakMap<Socket, { serial: number; requests: number }>();
let connectionSerial = 0;

function tracker(req: InboundRequest): string {
  const socket = req.socket;
  let conn = connections.get(socket);
  if (conn === undefined) { conn = { serial: ++connectionSerial, requests: 0 }; connections.set(socket, conn); }
  conn.requests++;
  return `${socket.localAddress ?? ''}-${socket.localPort ?? ''}-${process.pid}-${conn.serial}-${conn.requests}-${(Date.now() / 1000).toFixed(3)}`;
}

export const GENERATORS: Readonly<Record<GeneratorName, (req: InboundRequest) => string>> = {
  uuid: () => randomUUID(),
  'uuid#counter': () => `${processUuid}#${++counter}`,
  tracker,
};
