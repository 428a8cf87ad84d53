// allow/deny entries (addresses or CIDRs, IPv4 or IPv6) compiled into one node:net BlockList.
import { BlockList, isIP } from 'node:net';

export interface ParsedEntry {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** "10.0.0.0/8", "2001:db8::/32", "127.0.0.1" (a /32), "::1" (a /128); null when malformed. */
export function parseEntry(entry: string): ParsedEntry | null {
  const slash = entry.indexOf('/');
  const address = (slash < 0 ? entry : entry.slice(0, slash)).trim();
  const version = isIP(address);
  if (version === 0) return null;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (slash < 0) return { address, prefix: max, family };
  const bits = entry.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
  return { address, prefix: Number(bits), family };
}

export function compileAddressList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const e of entries) {
    const p = parseEntry(e);
    if (p === null) throw new Error(`invalid ip or cidr "${e}"`);
    list.addSubnet(p.address, p.prefix, p.family);
  }
  return list;
}

/**
 * The client address as BlockList wants it: IPv4-mapped IPv6 ("::ffff:10.1.2.3", what a
 * dual-stack listener reports) as IPv4, an IPv6 zone ("%eth0") dropped. Null when not an IP.
 */
export function clientAddress(ip: string): { address: string; family: 'ipv4' | 'ipv6' } | null {
  let address = ip;
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) address = mapped[1]!;
  const version = isIP(address);
  return version === 0 ? null : { address, family: version === 4 ? 'ipv4' : 'ipv6' };
}
