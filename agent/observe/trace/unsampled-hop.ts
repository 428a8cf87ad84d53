// The hop of a request that is not sampled (most of them at a low sampling ratio): no OTel span,
// no context object, no SDK bookkeeping, only the ids a traceparent needs so the next hop joins
// the same trace (with the sampled flag off). Sampling is decided here, before any span exists.
import { randomFillSync } from 'node:crypto';
import type { Attributes } from '@opentelemetry/api';

/** What the pipeline uses of a hop's trace, sampled (an OTel server span) or not. */
export interface HopTrace {
  readonly traceId: string;
  /** spans are recorded and exported */
  readonly recording: boolean;
  /** tracestate to forward (the caller's, unchanged), or undefined */
  readonly traceState: string | undefined;
  routed(route: string, service: string, httpRoute?: string): void;
  event(name: string, attrs?: Attributes): void;
  /** starts attempt `n` and returns the traceparent to send with it */
  attemptStart(n: number, endpoint: string, method: string): string;
  attemptEnd(status: number, error?: string): void;
  finish(status: number, error?: string, consumer?: string): void;
}

const POOL = Buffer.allocUnsafe(4096);
/** the pool as hex, made once per refill: an id is a slice of it (one native call per 4,096 random bytes, not one per id) */
let hex = '';
let at = 0;

/** `bytes` random bytes as lower-case hex (never all zeros: W3C's invalid id) */
export function randomHex(bytes: number): string {
  const chars = bytes * 2;
  for (;;) {
    if (at + chars > hex.length) { randomFillSync(POOL); hex = POOL.toString('hex'); at = 0; }
    const id = hex.slice(at, at + chars);
    at += chars;
    if (!allZeros(id)) return id;
  }
}

function allZeros(id: string): boolean {
  for (let i = 0; i < id.length; i++) if (id.charCodeAt(i) !== 48) return false;
  return true;
}

/** The ratio decision on the trace id's last 32 bits, so every hop of one trace decides alike. */
export function sampledByRatio(traceId: string, ratio: number): boolean {
  if (ratio >= 1) return true;
  if (ratio <= 0) return false;
  return Number.parseInt(traceId.slice(24, 32), 16) < ratio * 0x1_0000_0000;
}

export class UnsampledHop implements HopTrace {
  readonly recording = false;
  constructor(readonly traceId: string, readonly traceState: string | undefined) {}
  routed(): void {}
  event(): void {}
  attemptStart(): string { return `00-${this.traceId}-${randomHex(8)}-00`; }
  attemptEnd(): void {}
  finish(): void {}
}
