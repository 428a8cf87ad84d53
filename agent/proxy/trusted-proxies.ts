import { BlockList, isIPv4, isIPv6 } from 'node:net';

const MEMO_LIMIT = 4096;

/** Which peers may tell us, through X-Forwarded-*, who the client is. */
export class TrustedProxies {
  #list = new BlockList();
  #empty = true;

  constructor(cidrs: readonly string[]) {
    this.replace(cidrs);
  }

  /** A reload's new list: built whole, then swapped in with a fresh memo (one synchronous step). */
  replace(cidrs: readonly string[]): void {
    const list = new BlockList();
    for (const c of cidrs) {
      const [addr, bits] = c.split('/') as [string, string | undefined];
      const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (bits === undefined) list.addAddress(addr, type);
      else list.addSubnet(addr, Number(bits), type);
    }
    this.#list = list;
    this.#empty = cidrs.length === 0;
    this.#known = new Map();
  }

  /** answers by address: BlockList.check builds a SocketAddress per call (microseconds) */
  #known = new Map<string, boolean>();

  trusts(ip: string | undefined): boolean {
    if (this.#empty || !ip) return false;
    let t = this.#known.get(ip);
    if (t === undefined) {
      t = this.#check(ip);
      // peers are few (proxies, agents); a flood of distinct addresses only restarts the memo
      if (this.#known.size >= MEMO_LIMIT) this.#known = new Map();
      this.#known.set(ip, t);
    }
    return t;
  }

  #check(ip: string): boolean {
    const bare = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
    if (isIPv4(bare)) return this.#list.check(bare, 'ipv4');
    if (isIPv6(bare)) return this.#list.check(bare, 'ipv6');
    return false;
  }

  /** The right-most address of the chain (X-Forwarded-For, then the peer) that we do not trust. */
  clientIp(peer: string, forwardedFor: string | undefined): string {
    if (forwardedFor === undefined || !this.trusts(peer)) return peer;
    const hops = forwardedFor.split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!.trim();
      if (hop !== '' && !this.trusts(hop)) return hop;
    }
    return hops[0]!.trim() || peer;
  }
}

export const LOOPBACK_CIDRS = ['127.0.0.0/8', '::1/128'];
