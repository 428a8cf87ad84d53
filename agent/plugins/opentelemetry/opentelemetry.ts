// Kong's `opentelemetry` plugin, mapped onto the agent's tracer (agent/observe/trace/). Tracing is
// agent-wide in meshgate, so only a global entry is accepted. Kong fields meshgate does not act
// on are accepted only at Kong's default (what `deck dump` writes) and refused otherwise, naming
// the field, so nothing configured is silently ignored.
import { Type, type Static } from '@sinclair/typebox';
import type { PluginFactory, PluginInstance } from '../plugin.js';
import { TRACING_DEFAULTS, type TracingSettings } from '../../observe/trace/tracing-settings.js';

const Url = Type.String({ pattern: '^https?://[^\\s/]+(/.*)?$' });
const StrMap = Type.Record(Type.String(), Type.String());
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

/** Kong fields without meshgate behaviour, with the value at which they change nothing. */
const INERT_AT_DEFAULT: Readonly<Record<string, unknown>> = {
  logs_endpoint: null, batch_span_count: null, batch_flush_delay: null, connect_timeout: 1000, read_timeout: 5000,
};
const INERT_QUEUE: Readonly<Record<string, unknown>> = {
  max_bytes: null, max_retry_time: 60, initial_retry_delay: 0.01, max_retry_delay: 60, concurrency_limit: 1,
};

const OpenTelemetryConfig = Type.Object({
  traces_endpoint: Type.Optional(Nullable(Url)),
  endpoint: Type.Optional(Nullable(Url)),
  headers: Type.Optional(Type.Union([StrMap, Type.Null()])),
  resource_attributes: Type.Optional(Type.Union([StrMap, Type.Null()])),
  sampling_rate: Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()])),
  http_response_header_for_traceid: Type.Optional(Nullable(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' }))),
  header_type: Type.Optional(Type.Union([Type.Literal('preserve'), Type.Literal('w3c'), Type.Literal('b3'), Type.Literal('b3-single')], { default: 'preserve' })),
  propagation: Type.Optional(Type.Object({
    extract: Type.Optional(Type.Array(Type.Union([Type.Literal('w3c'), Type.Literal('b3')]))),
    inject: Type.Optional(Type.Array(Type.Union([Type.Literal('preserve'), Type.Literal('w3c')]))),
    default_format: Type.Optional(Type.Literal('w3c')),
    clear: Type.Optional(Type.Array(Type.String(), { maxItems: 0 })),
  }, { additionalProperties: false })),
  queue: Type.Optional(Type.Object({
    max_batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 200 })),
    max_coalescing_delay: Type.Optional(Type.Number({ minimum: 0, maximum: 3600, default: 1 })),
    max_entries: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 })),
    ...Object.fromEntries(Object.keys(INERT_QUEUE).map((k) => [k, Type.Optional(Type.Unknown())])),
  }, { additionalProperties: false })),
  send_timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 2, default: 5000 })),
  ...Object.fromEntries(Object.keys(INERT_AT_DEFAULT).map((k) => [k, Type.Optional(Type.Unknown())])),
}, { additionalProperties: false });

export type OpenTelemetryConfig = Static<typeof OpenTelemetryConfig> & Record<string, unknown>;

function inert(config: Record<string, unknown> | undefined, defaults: Readonly<Record<string, unknown>>, prefix: string) {
  const out: { path: string; message: string }[] = [];
  for (const [k, def] of Object.entries(defaults)) {
    const v = config?.[k];
    if (v !== undefined && v !== null && v !== def) out.push({ path: `${prefix}${k}`, message: `not implemented by meshgate (accepted only as ${JSON.stringify(def)} or null)` });
  }
  return out;
}

function validate(c: OpenTelemetryConfig): { path: string; message: string }[] {
  const out = [...inert(c, INERT_AT_DEFAULT, ''), ...inert(c.queue as Record<string, unknown> | undefined, INERT_QUEUE, 'queue.')];
  if ((c.traces_endpoint ?? c.endpoint ?? null) === null) out.push({ path: 'traces_endpoint', message: 'is required' });
  if (c.header_type === 'b3' || c.header_type === 'b3-single') out.push({ path: 'header_type', message: 'meshgate injects W3C traceparent only ("preserve" or "w3c")' });
  return out;
}

/** The plugin's config as the agent's tracing settings. */
export function tracingFromKong(c: OpenTelemetryConfig): TracingSettings {
  const extract = c.propagation?.extract;
  return {
    endpoint: (c.traces_endpoint ?? c.endpoint)!,
    headers: c.headers ?? {},
    resourceAttributes: c.resource_attributes ?? {},
    samplingRatio: c.sampling_rate ?? TRACING_DEFAULTS.samplingRatio,
    trustClientSampling: TRACING_DEFAULTS.trustClientSampling,
    responseHeader: c.http_response_header_for_traceid ?? null,
    extractB3: extract?.includes('b3') ?? false,
    maxQueueEntries: c.queue?.max_entries ?? TRACING_DEFAULTS.maxQueueEntries,
    maxBatchSize: c.queue?.max_batch_size ?? TRACING_DEFAULTS.maxBatchSize,
    batchDelayMs: Math.round((c.queue?.max_coalescing_delay ?? 1) * 1000),
    sendTimeoutMs: c.send_timeout ?? TRACING_DEFAULTS.sendTimeoutMs,
  };
}

const NOTHING_PER_ROUTE: PluginInstance = { name: 'opentelemetry', priority: 14 };

export const openTelemetryPlugin: PluginFactory<OpenTelemetryConfig> = {
  name: 'opentelemetry',
  priority: 14,
  agentWide: true,
  configSchema: OpenTelemetryConfig,
  validate,
  // the work is the agent's tracer, compiled from the config (edge-runtime); no per-route phases
  create: () => NOTHING_PER_ROUTE,
};
