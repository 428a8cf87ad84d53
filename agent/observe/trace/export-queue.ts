// The bounded export path: a counting gate in front of OTel's BatchSpanProcessor and a counting
// wrapper around the OTLP exporter. Spans that find the queue full, and spans whose export
// failed (dead or slow collector), are counted and logged once per interval — never silently,
// and never at a request's expense (export runs on timers, off the request path).
import type { Context } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

export interface DropSink {
  /** called with the number of spans lost and why */
  dropped(count: number, reason: 'queue_full' | 'export_failed'): void;
}

export class CountingExporter implements SpanExporter {
  pending = 0;
  constructor(private readonly inner: SpanExporter, private readonly sink: DropSink) {}

  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.pending -= spans.length;
    this.inner.export(spans, (r) => {
      if (r.code !== ExportResultCode.SUCCESS) this.sink.dropped(spans.length, 'export_failed');
      done(r);
    });
  }

  shutdown(): Promise<void> { return this.inner.shutdown(); }
  forceFlush(): Promise<void> { return this.inner.forceFlush?.() ?? Promise.resolve(); }
}

export class BoundedSpanProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor, private readonly exporter: CountingExporter,
    private readonly maxEntries: number, private readonly sink: DropSink) {}

  onStart(span: Span, ctx: Context): void { this.inner.onStart(span, ctx); }

  onEnd(span: ReadableSpan): void {
    if (this.exporter.pending >= this.maxEntries) { this.sink.dropped(1, 'queue_full'); return; }
    this.exporter.pending++;
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> { return this.inner.forceFlush(); }
  shutdown(): Promise<void> { return this.inner.shutdown(); }
}
