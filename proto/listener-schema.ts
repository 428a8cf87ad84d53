// The edge listeners' part of the configuration contract: limits, Kong's certificates and snis,
// and meshgate's certificates on disk (edge.tls). Imported by config-schema.ts.
import { Type, type Static } from '@sinclair/typebox';
import { Duration, KongId, KongTags, Str, Strict } from './schema-primitives.js';


/** Protection of the public listener against slow or greedy clients. */
export const ListenerLimits = Type.Object({
  header_timeout: Type.Optional(Duration),
  request_timeout: Type.Optional(Duration),
  keepalive_timeout: Type.Optional(Duration),
  body_timeout: Type.Optional(Duration),
  max_connections: Type.Optional(Type.Integer({ minimum: 1 })),
  max_header_size: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1048576 })),
  accepts_per_turn: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'listening handles on the socket: new connections accepted per event-loop turn under load (1 = Node alone, no helper process)' })),
}, { ...Strict, description: 'defaults: header_timeout 10s, request_timeout 300s (the whole request body after its head; 408), keepalive_timeout 60s, body_timeout 60s (no request body bytes for that long: 408, nginx client_body_timeout), max_connections 10000, accepts_per_turn 16' });

/** What the edge refuses and drops from client requests (agent/edge/strict-request.ts). */
export const EdgeHttp = Type.Object({
  headers_with_underscores: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('drop'), Type.Literal('reject')], {
    default: 'drop', description: 'client header names with "_" (which CGI-style back ends read as "-"): drop them, refuse the request with 400, or forward them',
  })),
  allow_headers: Type.Optional(Type.Array(Str('^[A-Za-z0-9-]+$', 'must be a header name'), {
    description: 'headers that rewrite a request at the back end (X-Original-URL, X-HTTP-Method-Override, X-Forwarded-Prefix, X-Envoy-*, …) to forward anyway; all others are dropped',
  })),
  merge_slashes: Type.Optional(Type.Boolean({ default: true, description: 'merge "//" in request paths before routing and forwarding (Envoy merge_slashes)' })),
  escaped_slashes: Type.Optional(Type.Union([Type.Literal('reject'), Type.Literal('keep'), Type.Literal('unescape')], {
    default: 'reject', description: 'a path with %2F or %5C: refuse it with 400, route and forward it as it is, or decode it to "/" first (Envoy path_with_escaped_slashes_action)',
  })),
  path_parameters: Type.Optional(Type.Union([Type.Literal('keep'), Type.Literal('reject')], {
    default: 'keep', description: '";" path parameters: keep them (a dot segment with parameters such as "..;" is refused either way), or refuse every path with ";"',
  })),
}, { ...Strict, description: 'what the edge refuses and drops from client requests (docs/http-strictness.md)' });


/** Kong's SNI names: one "*" label leftmost or rightmost, or "*" alone (the default certificate). */
export const SniName = Str('^(\\*|(\\*\\.)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*(\\.\\*)?)$', 'must be a host name, with at most one "*" as the leftmost or rightmost label, or "*" alone');
const Pem = Type.String({ minLength: 1, description: 'PEM text; use ${ENV_VAR} to keep it out of the file' });

/** Kong's certificate entity: a PEM pair, optionally an alternate pair of the other key type (RSA + ECDSA). */
export const KongCertificate = Type.Object({
  id: Type.Optional(KongId),
  cert: Pem,
  key: Pem,
  cert_alt: Type.Optional(Pem),
  key_alt: Type.Optional(Pem),
  snis: Type.Optional(Type.Array(Type.Union([SniName, Type.Object({ name: SniName, id: Type.Optional(KongId), tags: Type.Optional(KongTags) }, Strict)]))),
  tags: Type.Optional(KongTags),
}, Strict);

/** Kong's top-level sni entity, naming its certificate by id. */
export const KongSni = Type.Object({
  name: SniName,
  id: Type.Optional(KongId),
  certificate: Type.Object({ id: KongId }, Strict),
  tags: Type.Optional(KongTags),
}, Strict);

/** Certificates kept on disk (cert-manager, certbot): re-read when a file changes. */
export const EdgeTls = Type.Object({
  certificates: Type.Optional(Type.Array(Type.Object({
    cert_file: Type.String({ minLength: 1, description: 'PEM certificate (chain), leaf first' }),
    key_file: Type.String({ minLength: 1 }),
    snis: Type.Optional(Type.Array(SniName)),
  }, Strict))),
}, { ...Strict, description: 'the TLS listener\'s certificates besides edge.kong.certificates; a client without SNI or with an unknown name gets the certificate with SNI "*", else the first one listed' });


export type KongCertificate = Static<typeof KongCertificate>;
export type EdgeTls = Static<typeof EdgeTls>;
export type ListenerLimits = Static<typeof ListenerLimits>;

/** HTTP/2 to clients: ALPN h2 on the TLS listener, prior-knowledge h2c on the plain one. */
export const EdgeHttp2 = Type.Object({
  enabled: Type.Optional(Type.Boolean({ default: true, description: 'offer h2 by ALPN on the TLS listener (HTTP/1.1 stays available on the same port)' })),
  h2c: Type.Optional(Type.Boolean({ default: false, description: 'accept prior-knowledge HTTP/2 (h2c) on the plain listener beside HTTP/1.1' })),
  max_concurrent_streams: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 128 })),
  max_header_list_size: Type.Optional(Type.Integer({ minimum: 1024, maximum: 1048576, default: 32768, description: 'bytes of decoded request headers per stream (also bounds CONTINUATION frames)' })),
  initial_window_size: Type.Optional(Type.Integer({ minimum: 65535, maximum: 2147483647, default: 1048576, description: 'per-stream flow-control window, bytes' })),
  rapid_reset_max: Type.Optional(Type.Integer({ minimum: 1, default: 200, description: 'client-cancelled streams per connection within rapid_reset_window before GOAWAY ENHANCE_YOUR_CALM (CVE-2023-44487)' })),
  rapid_reset_window: Type.Optional(Duration),
}, { ...Strict, description: 'defaults: enabled true, h2c false, max_concurrent_streams 128, max_header_list_size 32768, initial_window_size 1048576, rapid_reset_max 200, rapid_reset_window 10s' });

export type EdgeHttp2 = Static<typeof EdgeHttp2>;
