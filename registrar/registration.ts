// Pure: a local service from the sidecar config → the body of PUT /v1/agent/service/register,
// with its health check and a connect-proxy sidecar registration, so the Consul UI shows the
// service, its sidecar and their health together.
import type { CheckSpec, LocalService } from '../proto/config-schema.js';

export interface MeshListener {
  /** address other agents dial (registered as the sidecar's address) */
  readonly address: string;
  readonly port: number;
}

/** A local upstream port of the sidecar, shown in Consul as Proxy.Upstreams. */
export interface UpstreamBinding {
  readonly service: string;
  readonly address: string;
  readonly port: number;
}

export const SIDECAR_SUFFIX = '-sidecar-proxy';
const DEFAULT_DEREGISTER_AFTER = '1m';
const SIDECAR_CHECK_INTERVAL = '2s';

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The mesh listener's address in Consul: sidecar.advertise, else the listen host (loopback for a wildcard, which no peer can dial). */
export function meshAdvertiseAddress(listenHost: string, advertise: string | undefined): string {
  return advertise ?? (listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost);
}

export function serviceId(s: LocalService): string {
  return s.id ?? s.name;
}

export function sidecarId(s: LocalService): string {
  return serviceId(s) + SIDECAR_SUFFIX;
}

export function checkId(s: LocalService): string {
  return `service:${serviceId(s)}`;
}

function consulCheck(c: CheckSpec, deregisterAfter: string): Record<string, unknown> {
  const out: Record<string, unknown> = { DeregisterCriticalServiceAfter: deregisterAfter };
  if (c.http) Object.assign(out, { HTTP: c.http, Interval: c.interval, Timeout: c.timeout ?? c.interval });
  else if (c.tcp) Object.assign(out, { TCP: c.tcp, Interval: c.interval, Timeout: c.timeout ?? c.interval });
  else if (c.ttl) Object.assign(out, { TTL: c.ttl });
  return out;
}

export function registrationBody(s: LocalService, mesh: MeshListener, upstreams: readonly UpstreamBinding[] = []): Record<string, unknown> {
  const id = serviceId(s);
  const address = s.address ?? '127.0.0.1';
  const weights = s.weights ? { Passing: s.weights.passing, Warning: s.weights.warning ?? 1 } : undefined;
  const deregisterAfter = s.deregister_critical_service_after ?? DEFAULT_DEREGISTER_AFTER;
  const check = s.check ?? { tcp: hostPort(address, s.port), interval: '2s' };
  return {
    ID: id,
    Name: s.name,
    Address: address,
    Port: s.port,
    Tags: s.tags ?? [],
    Meta: { ...(s.meta ?? {}), 'meshgate-managed': 'true' },
    ...(weights ? { Weights: weights } : {}),
    Check: { Name: `${s.name} health`, ...consulCheck(check, deregisterAfter) },
    Connect: {
      SidecarService: {
        Port: mesh.port,
        Address: mesh.address,
        Tags: s.tags ?? [],
        Meta: { 'meshgate-managed': 'true' },
        ...(weights ? { Weights: weights } : {}),
        Proxy: {
          DestinationServiceName: s.name,
          DestinationServiceID: id,
          LocalServiceAddress: address,
          LocalServicePort: s.port,
          Upstreams: upstreams.map((u) => ({ DestinationType: 'service', DestinationName: u.service, LocalBindAddress: u.address, LocalBindPort: u.port })),
        },
        Checks: [
          { Name: 'Mesh listener', TCP: hostPort(mesh.address, mesh.port), Interval: SIDECAR_CHECK_INTERVAL, DeregisterCriticalServiceAfter: deregisterAfter },
          { Name: `Destination ${id} health`, AliasService: id },
        ],
      },
    },
  };
}

export const EDGE_SERVICE = 'meshgate-edge';

/** An edge agent registers itself, so the Consul UI shows it and edges can count each other. */
export function edgeRegistrationBody(node: string, listenHost: string, port: number): Record<string, unknown> {
  const wildcard = listenHost === '0.0.0.0' || listenHost === '::';
  return {
    ID: `${EDGE_SERVICE}-${node}-${port}`,
    Name: EDGE_SERVICE,
    // a wildcard listener is registered at the node's address; Consul's check runs on this host
    Address: wildcard ? '' : listenHost,
    Port: port,
    Tags: ['meshgate', 'edge'],
    Meta: { 'meshgate-managed': 'true', node },
    Check: { Name: 'Edge listener', TCP: hostPort(wildcard ? '127.0.0.1' : listenHost, port), Interval: '5s', DeregisterCriticalServiceAfter: '1m' },
  };
}
