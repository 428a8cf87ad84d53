// A transport's entry for HTTP/1.1 Upgrade requests (node:http's `upgrade` event): a Hop with
// the tunnel as its forward phase, so the route and access phases (routes, https-only, plugins:
// auth, ACL, rate limiting; sidecar: intentions incl. L7) apply to the handshake as to any request,
// and a refusal is the same JSON answer on the socket. An `h2c` offer is not a tunnel: the request
// is answered over HTTP/1.1 (nginx does the same), then the connection closes. HTTP/2 extended
// CONNECT (edge/h2/h2-websocket.ts) enters the same way with its own TunnelClient as the response.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { TunnelRoleStats } from '../observe/tunnel-stats.js';
import type { TunnelClient } from '../proxy/tunnel-client.js';
import { UpgradeResponse } from '../proxy/upgrade-response.js';
import { UpgradeAttempt } from '../proxy/upgrade-tunnel.js';
import { Hop, type Role, type Tunnel } from './request-pipeline.js';

export type UpgradeEntry = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

/** The forward phase of a hop whose response is a TunnelClient: the upgrade toward a pool member. */
export function upgradeTunnel(stats: TunnelRoleStats, clientOf: (hop: Hop) => TunnelClient): Tunnel {
  return (hop, hash, done) => {
    const plan = hop.route!.plan;
    new UpgradeAttempt({
      client: clientOf(hop), method: hop.req.method ?? 'GET',
      plan, path: hop.upstreamPath, headers: hop.upstreamHeaders, hash, requestId: hop.requestId, hooks: hop.hooks,
      idleMs: plan.readTimeoutMs, stats, done,
    }).start();
  };
}

export function createUpgradeEntry(role: Role, stats: TunnelRoleStats): UpgradeEntry {
  const tunnel = upgradeTunnel(stats, (hop) => hop.res as UpgradeResponse);
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
