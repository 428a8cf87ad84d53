// SPIFFE identities as Consul Connect writes them:
//   spiffe://<trust-domain>/ns/<ns>/dc/<dc>/svc/<svc>   (non-default partitions add /ap/<p> before /ns)

export interface ServiceIdentity {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly datacenter: string;
  readonly service: string;
  readonly partition?: string;
  readonly uri: string;
}

const SEGMENT = /^[A-Za-z0-9._~-]+$/;

export function parseServiceIdentity(uri: string): ServiceIdentity | undefined {
  if (!uri.startsWith('spiffe://')) return undefined;
  const rest = uri.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const trustDomain = rest.slice(0, slash).toLowerCase();
  const parts = rest.slice(slash + 1).split('/');
  let partition: string | undefined;
  if (parts[0] === 'ap') { partition = parts[1]; parts.splice(0, 2); }
  if (parts.length !== 6 || parts[0] !== 'ns' || parts[2] !== 'dc' || parts[4] !== 'svc') return undefined;
  const [, namespace, , datacenter, , service] = parts as [string, string, string, string, string, string];
  if (![namespace, datacenter, service, ...(partition !== undefined ? [partition] : [])].every((s) => SEGMENT.test(s))) return undefined;
  return { trustDomain, namespace, datacenter, service, ...(partition !== undefined ? { partition } : {}), uri };
}

export function serviceIdentityUri(trustDomain: string, datacenter: string, service: string, namespace = 'default'): string {
  return `spiffe://${trustDomain}/ns/${namespace}/dc/${datacenter}/svc/${service}`;
}

/** The URI SANs of a certificate's subjectAltName text ("URI:spiffe://…, DNS:x"). */
export function uriSans(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const out: string[] = [];
  for (const part of subjectAltName.split(/,\s*/)) if (part.startsWith('URI:')) out.push(part.slice(4));
  return out;
}
