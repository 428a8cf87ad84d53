// Where a hop's trace starts: the tracer in effect (null when tracing is off, so the pipeline
// holds null and runs no trace code), the caller's trace context from its headers, and whether
// the caller may decide sampling.
import type { HopTrace, MeshTracer } from '../observe/trace/tracer.js';
import { presetHeader } from './preset-header.js';
import type { InboundRequest, OutboundResponse } from './transport.js';

export interface HopTracing {
  /** the tracer in effect (a reload may replace it); null: not traced */
  current(): MeshTracer | null;
  /** the caller's `sampled` flag may decide (a trusted proxy at the edge, a verified mesh agent) */
  trustsPeer(req: InboundRequest): boolean;
}

function one(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The hop's server span (and the trace-id response header when configured), or null. */
export function startHopTrace(tracing: HopTracing, req: InboundRequest, res: OutboundResponse): HopTrace | null {
  const tracer = tracing.current();
  if (tracer === null) return null;
  const h = req.headers;
  const s = tracer.settings;
  const trace = tracer.startHop({
    method: req.method ?? 'GET', path: req.url ?? '/', host: h.host ?? '', peerAddress: req.socket.remoteAddress ?? '',
    userAgent: h['user-agent'], traceparent: one(h.traceparent), tracestate: one(h.tracestate),
    ...(s.extractB3 ? { b3: { single: one(h.b3), traceId: one(h['x-b3-traceid']), spanId: one(h['x-b3-spanid']), sampled: one(h['x-b3-sampled']) } } : {}),
    trustedPeer: tracing.trustsPeer(req),
  });
  if (s.responseHeader !== null) presetHeader(res, s.responseHeader, trace.traceId);
  return trace;
}
