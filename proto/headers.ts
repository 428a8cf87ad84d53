// Header names meshgate reads or writes on the wire.

/** RFC 9110 §7.6.1 connection-specific fields, never forwarded by a proxy. */
export const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'proxy-authenticate', 'proxy-authorization',
]);

/** Edge → sidecar: the Consul service instance id the request is for. Never accepted from clients. */
export const MESH_DESTINATION = 'x-meshgate-destination';
export const REQUEST_ID = 'x-request-id';
export const FORWARDED_FOR = 'x-forwarded-for';
export const FORWARDED_PROTO = 'x-forwarded-proto';
export const FORWARDED_HOST = 'x-forwarded-host';
export const FORWARDED_PORT = 'x-forwarded-port';
export const REAL_IP = 'x-real-ip';
/** On meshgate's own error answers: the stable error code. A sidecar's MG_CONNECT_FAILED tells the edge the service was never reached. */
export const MESH_ERROR = 'x-meshgate-error';
/** Sidecar → local service: the caller's verified SPIFFE identity (Envoy's XFCC header, URI field only). Never accepted from clients. */
export const FORWARDED_CLIENT_CERT = 'x-forwarded-client-cert';
