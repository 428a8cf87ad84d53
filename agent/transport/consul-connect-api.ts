// Consul's Connect endpoints, in one small module: the agent-local CA roots and leaf endpoints
// and intention authorization. Current Consul marks these agent endpoints deprecated; a future
// switch (e.g. to the catalog/xDS-era APIs) happens here only.
import type { ConsulClient } from '../../registrar/consul-client.js';

export interface CaRoots {
  readonly TrustDomain: string;
  readonly ActiveRootID?: string;
  readonly Roots: readonly { readonly ID?: string; readonly RootCert: string; readonly IntermediateCerts?: readonly string[] | null; readonly Active?: boolean }[];
}

export interface LeafCert {
  readonly CertPEM: string;
  readonly PrivateKeyPEM: string;
  readonly ServiceURI?: string;
  readonly ValidAfter?: string;
  readonly ValidBefore?: string;
}

export interface AuthorizeResult {
  readonly Authorized: boolean;
  readonly Reason?: string;
}

export const CONNECT_PATHS = {
  roots: '/agent/connect/ca/roots',
  leaf: (service: string) => `/agent/connect/ca/leaf/${encodeURIComponent(service)}`,
  intentions: '/connect/intentions',
} as const;

export function authorize(client: ConsulClient, target: string, clientCertUri: string, clientCertSerial: string): Promise<AuthorizeResult> {
  return client.send<AuthorizeResult>('POST', '/agent/connect/authorize', {
    Target: target, ClientCertURI: clientCertUri, ClientCertSerial: clientCertSerial,
  });
}
