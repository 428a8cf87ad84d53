// Pure translation: Consul /v1/health/{service,connect}/<svc> entries → pool endpoint specs.
// Tolerant: an entry without a usable address or port is skipped and reported, the rest survive.

/** The subset of a Consul health entry that meshgate reads. */
export interface ConsulHealthEntry {
  readonly Node?: { readonly Node?: string; readonly Address?: string };
  readonly Service?: {
    readonly ID?: string;
    readonly Service?: string;
    readonly Kind?: string;
    readonly Address?: string;
    readonly Port?: number;
    readonly Weights?: { readonly Passing?: number; readonly Warning?: number };
    readonly Proxy?: { readonly DestinationServiceID?: string; readonly DestinationServiceName?: string };
  };
  readonly Checks?: readonly { readonly Status?: string }[];
}

export interface EndpointSpec {
  /** host:port — where connections go (several instances may sit behind one sidecar) */
  readonly address: string;
  /** address + instance: the key of per-endpoint state, stable across pool swaps */
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  /** the service instance behind this endpoint (for a sidecar: its destination service id) */
  readonly instanceId: string;
  readonly node: string;
}

export interface Translation {
  readonly endpoints: readonly EndpointSpec[];
  readonly skipped: readonly string[];
}

export function hostPortKey(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function catalogToEndpoints(entries: readonly ConsulHealthEntry[]): Translation {
  const endpoints: EndpointSpec[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    const svc = e.Service;
    const host = svc?.Address || e.Node?.Address || '';
    const port = svc?.Port ?? 0;
    const id = svc?.ID ?? '?';
    if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
      skipped.push(`${id}: no usable address`);
      continue;
    }
    if (e.Checks?.some((c) => c.Status !== 'passing')) continue;
    const address = hostPortKey(host, port);
    const instanceId = svc?.Kind === 'connect-proxy' ? (svc.Proxy?.DestinationServiceID ?? id) : id;
    const key = `${address}/${instanceId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    endpoints.push({ address, key, host, port, weight: Math.max(0, svc?.Weights?.Passing ?? 1), instanceId, node: e.Node?.Node ?? '' });
  }
  endpoints.sort((a, b) => a.key.localeCompare(b.key));
  return { endpoints, skipped };
}
