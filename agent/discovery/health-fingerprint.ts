// Pure: which services' health changed between two answers of Consul's /v1/health/state/any —
// asked with a filter for the checks that are not passing, so the answer stays small while the
// datacenter is healthy. Many watched services share one blocking query on that endpoint; only the
// services whose set of failing checks changed are fetched again. A node-level check (serfHealth,
// maintenance) that changed names its node: the caller refetches the services it knows there.

/** The subset of a /v1/health/state/any entry read here. */
export interface ConsulCheck {
  readonly Node?: string;
  readonly CheckID?: string;
  readonly Status?: string;
  readonly ServiceID?: string;
  readonly ServiceName?: string;
}

export interface HealthFingerprint {
  /** service name → its checks' identity and status, sorted */
  readonly services: ReadonlyMap<string, string>;
  /** node → its node-level checks, sorted */
  readonly nodes: ReadonlyMap<string, string>;
}

export const EMPTY_FINGERPRINT: HealthFingerprint = { services: new Map(), nodes: new Map() };

function push(m: Map<string, string[]>, key: string, v: string): void {
  const list = m.get(key);
  if (list === undefined) m.set(key, [v]); else list.push(v);
}

function joined(m: Map<string, string[]>): Map<string, string> {
  return new Map([...m].map(([k, list]) => [k, list.sort().join('\n')]));
}

export function fingerprintChecks(checks: readonly ConsulCheck[]): HealthFingerprint {
  const services = new Map<string, string[]>();
  const nodes = new Map<string, string[]>();
  for (const c of checks) {
    const node = c.Node ?? '';
    const line = `${node}\u0000${c.ServiceID ?? ''}\u0000${c.CheckID ?? ''}\u0000${c.Status ?? ''}`;
    if (c.ServiceID) push(services, c.ServiceName ?? '', line);
    else push(nodes, node, line);
  }
  return { services: joined(services), nodes: joined(nodes) };
}

function changedKeys(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a) if (b.get(k) !== v) out.push(k);
  for (const k of b.keys()) if (!a.has(k)) out.push(k);
  return out;
}

/** The service names whose failing checks differ between the two answers, and the nodes whose node checks do. */
export function healthChanges(prev: HealthFingerprint, next: HealthFingerprint): { services: Set<string>; nodes: Set<string> } {
  return { services: new Set(changedKeys(prev.services, next.services)), nodes: new Set(changedKeys(prev.nodes, next.nodes)) };
}
