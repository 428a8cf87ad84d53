// What tracing needs, resolved once from config (agent.tracing or Kong's opentelemetry plugin).

export type ClientSamplingTrust = 'trusted_proxies' | 'always' | 'never';

export interface TracingSettings {
  /** OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces */
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** share of new traces sampled (parent-based: a trusted parent's decision is kept) */
  readonly samplingRatio: number;
  /** whose `sampled` flag is followed at the edge; others only give the trace id */
  readonly trustClientSampling: ClientSamplingTrust;
  /** response header that carries the trace id, or null */
  readonly responseHeader: string | null;
  /** also extract B3 (single and multi) when there is no traceparent */
  readonly extractB3: boolean;
  /** bounded export queue: spans beyond maxEntries are dropped (and counted) */
  readonly maxQueueEntries: number;
  readonly maxBatchSize: number;
  readonly batchDelayMs: number;
  /** bound on one export request */
  readonly sendTimeoutMs: number;
}

export const TRACING_DEFAULTS = {
  samplingRatio: 1, trustClientSampling: 'trusted_proxies', maxQueueEntries: 10_000, maxBatchSize: 200, batchDelayMs: 1000,
  sendTimeoutMs: 5000,
} as const;

/** Equal settings keep the running tracer across reloads. */
export function sameSettings(a: TracingSettings | null, b: TracingSettings | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** agent.tracing from the YAML (validated by the schema) as settings. */
export function tracingFromAgent(t: {
  endpoint: string; sampling_ratio?: number; trust_client_sampling?: ClientSamplingTrust; headers?: Record<string, string>;
  resource_attributes?: Record<string, string>; response_header?: string; extract_b3?: boolean;
  queue?: { max_entries?: number; max_batch_size?: number; delay?: string }; send_timeout?: string;
}, parseMs: (d: string) => number): TracingSettings {
  return {
    endpoint: t.endpoint, headers: t.headers ?? {}, resourceAttributes: t.resource_attributes ?? {},
    samplingRatio: t.sampling_ratio ?? TRACING_DEFAULTS.samplingRatio,
    trustClientSampling: t.trust_client_sampling ?? TRACING_DEFAULTS.trustClientSampling,
    responseHeader: t.response_header ?? null, extractB3: t.extract_b3 ?? false,
    maxQueueEntries: t.queue?.max_entries ?? TRACING_DEFAULTS.maxQueueEntries,
    maxBatchSize: t.queue?.max_batch_size ?? TRACING_DEFAULTS.maxBatchSize,
    batchDelayMs: t.queue?.delay ? parseMs(t.queue.delay) : TRACING_DEFAULTS.batchDelayMs,
    sendTimeoutMs: t.send_timeout ? parseMs(t.send_timeout) : TRACING_DEFAULTS.sendTimeoutMs,
  };
}
