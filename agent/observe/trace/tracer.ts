// meshgate's tracer: manual spans only (no http auto-instrumentation), OTel's trace SDK with a
// bounded batch queue and the OTLP/HTTP exporter. One MeshTracer per agent and settings; a
// request that is traced gets one HopTrace (its server span) and one client span per upstream
// attempt. When tracing is off the handlers hold `null` and none of this runs.
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, type IdGenerator } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import { BoundedSpanProcessor, CountingExporter, type DropSink } from './export-queue.js';
import { formatTraceparent, parseB3, parseTraceparent, type IncomingTraceContext } from './trace-context.js';
import type { TracingSettings } from './tracing-settings.js';
import { randomHex, sampledByRatio, UnsampledHop, type HopTrace } from './unsampled-hop.js';

export type { HopTrace };

/** Span ids at random; a sampled root's trace id is the one the sampling decision was made on. */
class DecidedIds implements IdGenerator {
  next: string | null = null;
  generateTraceId(): string { const t = this.next ?? randomHex(16); this.next = null; return t; }
  generateSpanId(): string { return randomHex(8); }
}

export interface TraceDrops {
  inc(reason: string, n: number): void;
}

export interface HopRequest {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly peerAddress: string;
  readonly userAgent: string | undefined;
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly b3?: { single?: string; traceId?: string; spanId?: string; sampled?: string } | undefined;
  /** the peer may decide sampling (trusted proxy, or a verified mesh peer) */
  readonly trustedPeer: boolean;
}

export class MeshTracer implements DropSink {
  readonly #provider: BasicTracerProvider;
  readonly #tracer;
  readonly #log: Logger;
  readonly #drops: TraceDrops;
  readonly #ids = new DecidedIds();
  readonly #logTimer: NodeJS.Timeout;
  #droppedSinceLog = 0;
  readonly settings: TracingSettings;

  constructor(readonly role: 'edge' | 'sidecar', settings: TracingSettings, log: Logger, drops: TraceDrops, logIntervalMs = 10_000) {
    this.settings = settings;
    this.#log = log;
    this.#drops = drops;
    const exporter = new CountingExporter(new OTLPTraceExporter({
      url: settings.endpoint, headers: { ...settings.headers }, timeoutMillis: settings.sendTimeoutMs,
    }), this);
    const batch = new BatchSpanProcessor(exporter, {
      maxQueueSize: settings.maxQueueEntries + 1, maxExportBatchSize: settings.maxBatchSize,
      scheduledDelayMillis: settings.batchDelayMs, exportTimeoutMillis: settings.sendTimeoutMs,
    });
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': `meshgate-${role}`, ...settings.resourceAttributes }),
      // startHop decides sampling; OTel sees only sampled hops (as roots or with a sampled parent), and their attempts
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), idGenerator: this.#ids,
      spanProcessors: [new BoundedSpanProcessor(batch, exporter, settings.maxQueueEntries, this)],
    });
    this.#tracer = this.#provider.getTracer('meshgate');
    this.#logTimer = setInterval(() => this.#logDrops(), logIntervalMs);
    this.#logTimer.unref();
  }

  dropped(count: number, reason: 'queue_full' | 'export_failed'): void {
    this.#droppedSinceLog += count;
    this.#drops.inc(reason, count);
  }

  #logDrops(): void {
    if (this.#droppedSinceLog === 0) return;
    this.#log.warn({ dropped: this.#droppedSinceLog, endpoint: this.settings.endpoint }, 'trace spans dropped (collector slow, down or queue full)');
    this.#droppedSinceLog = 0;
  }

  /**
   * The hop's trace, continuing the caller's when it sent one. The caller's sampled flag decides
   * when it may (trust_client_sampling); otherwise the ratio does, on the trace id. A hop that is
   * not sampled costs no OTel work at all.
   */
  startHop(r: HopRequest): HopTrace {
    let parent: IncomingTraceContext | undefined = parseTraceparent(r.traceparent, r.tracestate);
    if (parent === undefined && this.settings.extractB3 && r.b3 !== undefined) parent = parseB3(r.b3.single, r.b3.traceId, r.b3.spanId, r.b3.sampled);
    const trust = this.settings.trustClientSampling;
    const trusted = parent !== undefined && (trust === 'always' || (trust === 'trusted_proxies' && r.trustedPeer));
    const traceId = parent?.traceId ?? randomHex(16);
    if (!(trusted ? parent!.sampled : sampledByRatio(traceId, this.settings.samplingRatio))) return new UnsampledHop(traceId, parent?.traceState);
    let ctx = ROOT_CONTEXT;
    if (parent !== undefined) {
      ctx = trace.setSpanContext(ctx, {
        traceId, spanId: parent.spanId, isRemote: true, traceFlags: TraceFlags.SAMPLED,
        ...(parent.traceState ? { traceState: new TraceState(parent.traceState) } : {}),
      });
    } else {
      this.#ids.next = traceId;
    }
    const span = this.#tracer.startSpan(`${r.method} ${this.role}`, { kind: SpanKind.SERVER }, ctx);
    span.setAttributes({
      'http.request.method': r.method, 'url.path': r.path, 'server.address': r.host, 'network.peer.address': r.peerAddress,
      'meshgate.role': this.role,
    });
    if (r.userAgent !== undefined) span.setAttribute('user_agent.original', r.userAgent);
    return new SampledHop(this.#tracer, span, r.method);
  }

  async shutdown(): Promise<void> {
    clearInterval(this.#logTimer);
    this.#logDrops();
    await this.#provider.shutdown().catch(() => {});
  }

  async flush(): Promise<void> { await this.#provider.forceFlush().catch(() => {}); }
}

type OtelTracer = ReturnType<BasicTracerProvider['getTracer']>;

/** One sampled request at one hop: its server span and its attempts' client spans. */
export class SampledHop implements HopTrace {
  #attempt: Span | null = null;
  #parentCtx: Context | null = null;
  readonly traceId: string;
  readonly recording: boolean;

  constructor(private readonly tracer: OtelTracer, readonly span: Span, private readonly method: string) {
    this.traceId = span.spanContext().traceId;
    this.recording = span.isRecording();
  }

  /** Attributes known once routed (route, service, consumer). */
  routed(route: string, service: string, httpRoute?: string): void {
    if (!this.recording) return;
    this.span.setAttributes({ 'meshgate.route': route, 'meshgate.service': service, ...(httpRoute ? { 'http.route': httpRoute } : {}) });
    this.span.updateName(`${this.method} ${httpRoute ?? route}`);
  }

  /** A plugin decision worth seeing in the trace (auth rejected, rate limited, cache hit). */
  event(name: string, attrs?: Attributes): void {
    if (this.recording) this.span.addEvent(name, attrs);
  }

  /** Starts the client span of attempt `n` and returns the traceparent to send with it. */
  attemptStart(n: number, endpoint: string, method: string): string {
    this.#attemptEnd(0, 'superseded');
    this.#parentCtx ??= trace.setSpan(context.active(), this.span);
    const s = this.tracer.startSpan(`${method} upstream`, { kind: SpanKind.CLIENT }, this.#parentCtx);
    if (s.isRecording()) s.setAttributes({ 'http.request.method': method, 'meshgate.endpoint': endpoint, 'meshgate.attempt': n, 'server.address': endpoint });
    this.#attempt = s;
    const sc = s.spanContext();
    return formatTraceparent(sc.traceId, sc.spanId, (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED);
  }

  /** tracestate to forward (the caller's, unchanged), or undefined */
  get traceState(): string | undefined { return this.span.spanContext().traceState?.serialize() || undefined; }

  /** The attempt ended: response headers (`status`) or an error (`status` 0). */
  attemptEnd(status: number, error?: string): void { this.#attemptEnd(status, error); }

  #attemptEnd(status: number, error: string | undefined): void {
    const s = this.#attempt;
    if (s === null) return;
    this.#attempt = null;
    if (s.isRecording()) {
      if (status > 0) s.setAttribute('http.response.status_code', status);
      if (error !== undefined) { s.setAttribute('error.type', error); s.setStatus({ code: SpanStatusCode.ERROR, message: error }); }
      else if (status >= 500) s.setStatus({ code: SpanStatusCode.ERROR });
    }
    s.end();
  }

  /** The hop answered (or failed); ends every open span. */
  finish(status: number, error?: string, consumer?: string): void {
    this.#attemptEnd(status, undefined);
    if (this.recording) {
      this.span.setAttribute('http.response.status_code', status);
      if (consumer !== undefined) this.span.setAttribute('meshgate.consumer', consumer);
      if (error !== undefined) this.span.setAttribute('error.type', error);
      if (status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR, ...(error ? { message: error } : {}) });
    }
    this.span.end();
  }
}
