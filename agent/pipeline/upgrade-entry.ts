// A transport's entry for HTTP/1.1 Upgrade requests (node:http's `upgrade` event): a Hop with
// the tunnel as its forward phase, so the route and access phases (routes, https-only, plugins:
// auth, ACL, rate limiting; sidecar: intentions incl. L7) apply to the handshake as to any request,
// and a refusal is the same JSON answer on the socket. An `h2c` offer is not a tunnel: the request
// is answered over HTTP/1.1 (nginx does the same), then the connection closes.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TunnelRoleStats } from '../observe/tunnel-stats.js';
import { UpgradeResponse } from '../proxy/upgrade-response.js';
import { UpgradeAttempt } from '../proxy/upgrade-tunnel.js';
import { Hop, type Role, type Tunnel } from './request-pipeline.js';

export type UpgradeEntry = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

export function createUpgradeEntry(role: Role, stats: TunnelRoleStats): UpgradeEntry {
  const tunnel: Tunnel = (hop, hash, done) => {
    const plan = hop.route!.plan;
    const res = hop.res as UpgradeResponse;
    new UpgradeAttempt({
      res, socket: hop.req.socket, head: res.head, method: hop.req.method ?? 'GET', protocol: hop.req.headers.upgrade ?? '',
      plan, path: hop.upstreamPath, headers: hop.upstreamHeaders, hash, requestId: hop.requestId, hooks: hop.hooks,
      idleMs: plan.readTimeoutMs, stats, done,
    }).start();
  };
  return function handleUpgrade(req, socket, head) {
    // an upgrade pipelined behind an answer still being written: nothing sane can follow it
    if ((socket as { _httpMessage?: unknown })._httpMessage) { socket.destroy(); return; }
    const res = new UpgradeResponse(req, socket, head);
    new Hop(req, res, role, isH2cOffer(req.headers.upgrade) ? null : tunnel).run();
  };
}

function isH2cOffer(upgrade: string | undefined): boolean {
  return upgrade !== undefined && upgrade.trim().toLowerCase() === 'h2c';
}
