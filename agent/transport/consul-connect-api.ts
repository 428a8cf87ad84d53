// Consul's Connect endpoints, in one small module: the agent-local CA roots and leaf endpoints
// and the intention sources. Current Consul marks these agent endpoints deprecated; a future
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

export const CONNECT_PATHS = {
  roots: '/agent/connect/ca/roots',
  leaf: (service: string) => `/agent/connect/ca/leaf/${encodeURIComponent(service)}`,
  intentions: '/connect/intentions',
  serviceIntentions: '/config/service-intentions',
} as const;
