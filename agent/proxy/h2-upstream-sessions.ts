// HTTP/2 sessions toward upstreams, one per member and way of connecting (h2c to an instance, TLS
// with ALPN h2, or mTLS to a sidecar), shared by every request to that member: HTTP/2 multiplexes,
// so one connection carries every concurrent stream. A session that gets GOAWAY, errors or closes
// is forgotten at once; the next request opens a new one. Idle sessions close themselves.
import http2 from 'node:http2';
import type { PoolMember } from '../pool/service-pool.js';
import { connectMeshH2 } from '../transport/mesh-h2-client.js';
import type { MeshTls } from '../transport/mesh-tls.js';

/** How a plan reaches its members over HTTP/2. */
export type H2Mode =
  | { readonly kind: 'h2c' }
  | { readonly kind: 'tls' }
  | { readonly kind: 'mesh'; readonly tls: MeshTls; readonly identity: string; readonly target: string };

/** A plan's HTTP/2 side: the (possibly still connecting) session to a member. */
export interface H2Upstream {
  session(member: PoolMember): http2.ClientHttp2Session;
  readonly connectTimeoutMs: number;
  readonly scheme: 'http' | 'https';
}

const IDLE_CLOSE_MS = 60_000;

export class H2Sessions {
  readonly #sessions = new Map<string, http2.ClientHttp2Session>();

  upstream(mode: H2Mode, connectTimeoutMs: number): H2Upstream {
    const prefix = mode.kind === 'mesh' ? `mesh:${mode.identity}>${mode.target}|` : `${mode.kind}|`;
    return {
      connectTimeoutMs,
      scheme: mode.kind === 'h2c' ? 'http' : 'https',
      session: (member) => this.#get(prefix + member.address, mode, member),
    };
  }

  #get(key: string, mode: H2Mode, member: PoolMember): http2.ClientHttp2Session {
    const open = this.#sessions.get(key);
    if (open !== undefined && !open.closed && !open.destroyed) return open;
    const s = connect(mode, member);
    this.#sessions.set(key, s);
    const forget = (): void => { if (this.#sessions.get(key) === s) this.#sessions.delete(key); };
    s.once('goaway', forget);
    s.once('close', forget);
    s.on('error', forget);
    // many requests may wait for one connecting session
    s.setMaxListeners(0);
    s.setTimeout(IDLE_CLOSE_MS, () => s.close());
    // an open session does not keep the process alive (shutdown closes listeners, then exits)
    s.unref();
    return s;
  }

  /** Closes every session gracefully (streams in flight finish). */
  close(): void {
    for (const s of this.#sessions.values()) s.close();
    this.#sessions.clear();
  }
}

function connect(mode: H2Mode, m: PoolMember): http2.ClientHttp2Session {
  const settings = { enablePush: false };
  if (mode.kind === 'h2c') return http2.connect(`http://${m.address}`, { settings });
  if (mode.kind === 'tls') return http2.connect(`https://${m.address}`, { settings, ALPNProtocols: ['h2'] });
  return http2.connect(`https://${m.address}`, { settings, createConnection: () => connectMeshH2(mode.tls, mode.identity, mode.target, m.host, m.port) });
}
