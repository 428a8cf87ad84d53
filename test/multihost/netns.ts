// Network namespaces for the multi-host topology: one namespace per host, each with its own
// address on a bridge that lives in a namespace of its own (mgc-br), plus one veth into the root
// namespace so a user (or the load loop) reaches the edge. Nothing here touches ip_forward, NAT or
// any address outside 10.231.0.0/16; deleting the namespaces removes every veth and the bridge.
import { spawnSync } from 'node:child_process';

export const NS_PREFIX = 'mgc-';
export const BRIDGE_NS = `${NS_PREFIX}br`;
export const ROOT_VETH = `${NS_PREFIX}root`;
export const ROOT_ADDRESS = '10.231.0.254';
const PREFIX_LEN = 24;

export function ip(args: readonly string[], opts: { allowFail?: boolean } = {}): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`ip ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout ?? '';
}

export function inNs(ns: string, args: readonly string[], opts: { allowFail?: boolean } = {}): string {
  return ip(['netns', 'exec', ns, ...args], opts);
}

export function ourNamespaces(): string[] {
  return ip(['netns', 'list'], { allowFail: true }).split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(NS_PREFIX));
}

/** Pids of processes still inside our namespaces (ours: nobody else uses the mgc- prefix). */
export function pidsInOurNamespaces(): number[] {
  return ourNamespaces().flatMap((ns) => ip(['netns', 'pids', ns], { allowFail: true }).split('\n').filter(Boolean).map(Number));
}

/**
 * Left-overs of a run that was SIGKILLed (its own cleanup never ran) are removed; a topology that
 * still has processes (a running `demo:hosts`) is refused rather than destroyed.
 */
export function removeStaleTopology(): void {
  const live = pidsInOurNamespaces();
  if (live.length > 0) throw new Error(`mgc- namespaces are in use by pids ${live.join(' ')} (another demo:hosts or test:chaos?); stop it first`);
  deleteTopologyNetwork();
}

export function deleteTopologyNetwork(): void {
  for (const ns of ourNamespaces()) ip(['netns', 'del', ns], { allowFail: true });
  ip(['link', 'del', ROOT_VETH], { allowFail: true });
}

export function createBridge(): void {
  ip(['netns', 'add', BRIDGE_NS]);
  inNs(BRIDGE_NS, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  inNs(BRIDGE_NS, ['ip', 'link', 'set', 'br0', 'up']);
  // the root namespace's own leg, so the edge is reachable from outside the topology
  ip(['link', 'add', ROOT_VETH, 'type', 'veth', 'peer', 'name', 'v-root', 'netns', BRIDGE_NS]);
  inNs(BRIDGE_NS, ['ip', 'link', 'set', 'v-root', 'master', 'br0', 'up']);
  ip(['addr', 'add', `${ROOT_ADDRESS}/${PREFIX_LEN}`, 'dev', ROOT_VETH]);
  ip(['link', 'set', ROOT_VETH, 'up']);
}

/** A host: namespace `mgc-<name>`, eth0 with `address`, its bridge-side leg `v-<name>`. */
export function createHost(name: string, address: string): string {
  const ns = `${NS_PREFIX}${name}`;
  ip(['netns', 'add', ns]);
  inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
  ip(['link', 'add', `v-${name}`, 'netns', BRIDGE_NS, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  inNs(BRIDGE_NS, ['ip', 'link', 'set', `v-${name}`, 'master', 'br0', 'up']);
  inNs(ns, ['ip', 'addr', 'add', `${address}/${PREFIX_LEN}`, 'dev', 'eth0']);
  inNs(ns, ['ip', 'link', 'set', 'eth0', 'up']);
  return ns;
}

/** Cuts (or heals) a host off the network by taking its bridge-side veth down: packets vanish, no RST. */
export function setHostLink(name: string, up: boolean): void {
  inNs(BRIDGE_NS, ['ip', 'link', 'set', `v-${name}`, up ? 'up' : 'down']);
}
