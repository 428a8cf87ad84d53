// agent.tracing: the schema of an agent's OpenTelemetry settings (mapped by
// agent/observe/trace/tracing-settings.ts).
import { Type } from '@sinclair/typebox';
import { Duration, HttpUrl, Strict } from './schema-primitives.js';

/** OpenTelemetry traces of this agent (an edge's decK `opentelemetry` plugin, when present, wins). */
export const TracingSection = Type.Object({
  endpoint: HttpUrl,
  sampling_ratio: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: 1, description: 'share of new traces sampled; a trusted parent\'s decision is kept' })),
  trust_client_sampling: Type.Optional(Type.Union([Type.Literal('trusted_proxies'), Type.Literal('always'), Type.Literal('never')], { default: 'trusted_proxies', description: 'whose traceparent sampled flag is followed; others only give the trace id (mesh peers of a sidecar are trusted)' })),
  headers: Type.Optional(Type.Record(Type.String(), Type.String())),
  resource_attributes: Type.Optional(Type.Record(Type.String(), Type.String())),
  response_header: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$', rule: 'must be a header name' })),
  extract_b3: Type.Optional(Type.Boolean({ default: false })),
  queue: Type.Optional(Type.Object({
    max_entries: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 })),
    max_batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, default: 200 })),
    delay: Type.Optional(Duration),
  }, Strict)),
  send_timeout: Type.Optional(Duration),
}, Strict);
