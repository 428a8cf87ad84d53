// Tunnel metrics: open tunnels, tunnels opened, and bytes each way. A tunnel counts its bytes in
// plain integers (nothing per chunk touches prom-client); a scrape adds the open tunnels' running
// counts to the closed ones' totals, so a long-lived tunnel's traffic shows before it closes.
import { Counter, Gauge, type Registry } from 'prom-client';

/** What one open tunnel has carried so far. */
export interface TunnelCounts {
  /** bytes from the client toward the upstream */
  bytesIn: number;
  /** bytes from the upstream toward the client */
  bytesOut: number;
}

interface RoleTotals { opened: number; closedIn: number; closedOut: number; readonly open: Set<TunnelCounts> }

export class TunnelStats {
  readonly #roles = new Map<string, RoleTotals>();

  constructor(registry: Registry) {
    const roles = this.#roles;
    new Gauge({
      name: 'meshgate_tunnels_open', help: 'Upgraded connections (WebSocket and other HTTP/1.1 Upgrade tunnels) open now',
      labelNames: ['role'] as const, registers: [registry],
      collect() { for (const [role, t] of roles) this.labels(role).set(t.open.size); },
    });
    new Counter({
      name: 'meshgate_tunnels_total', help: 'Upgraded connections opened (101 relayed)',
      labelNames: ['role'] as const, registers: [registry],
      collect() { this.reset(); for (const [role, t] of roles) this.labels(role).inc(t.opened); },
    });
    new Counter({
      name: 'meshgate_tunnel_bytes_total', help: 'Bytes carried by upgraded connections; direction in = from the client, out = to the client',
      labelNames: ['role', 'direction'] as const, registers: [registry],
      collect() {
        this.reset();
        for (const [role, t] of roles) {
          let bytesIn = t.closedIn;
          let bytesOut = t.closedOut;
          for (const c of t.open) { bytesIn += c.bytesIn; bytesOut += c.bytesOut; }
          this.labels(role, 'in').inc(bytesIn);
          this.labels(role, 'out').inc(bytesOut);
        }
      },
    });
  }

  /** The counters of one role (edge, sidecar), made once per listener. */
  forRole(role: string): TunnelRoleStats {
    let t = this.#roles.get(role);
    if (t === undefined) { t = { opened: 0, closedIn: 0, closedOut: 0, open: new Set() }; this.#roles.set(role, t); }
    return new TunnelRoleStats(t);
  }
}

export class TunnelRoleStats {
  readonly #t: RoleTotals;
  constructor(t: RoleTotals) { this.#t = t; }

  opened(c: TunnelCounts): void {
    this.#t.opened++;
    this.#t.open.add(c);
  }

  closed(c: TunnelCounts): void {
    if (!this.#t.open.delete(c)) return;
    this.#t.closedIn += c.bytesIn;
    this.#t.closedOut += c.bytesOut;
  }
}
