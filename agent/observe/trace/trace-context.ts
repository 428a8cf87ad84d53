// W3C Trace Context (traceparent/tracestate) and B3 parsing, without I/O. Parsing is strict as the
// spec asks: a malformed or all-zero id means "no parent", never an error answer.

export interface IncomingTraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
  readonly traceState?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';

/** A traceparent header value → its fields, or undefined when it must be ignored. */
export function parseTraceparent(value: string | undefined, traceState?: string): IncomingTraceContext | undefined {
  if (value === undefined || value.length < 55) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  // version ff is forbidden; version 00 has nothing after the flags; later versions may
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  const sampled = (parseInt(flags!, 16) & 1) === 1;
  return { traceId: traceId!, spanId: spanId!, sampled, ...(traceState ? { traceState } : {}) };
}

const HEX16 = /^[0-9a-f]{16}$/;
const HEX32 = /^[0-9a-f]{32}$/;

/** B3 single (`b3: traceid-spanid-sampled`) or multi (`x-b3-traceid` …) headers; 64-bit ids are left-padded. */
export function parseB3(single: string | undefined, traceId?: string, spanId?: string, sampled?: string): IncomingTraceContext | undefined {
  let t = traceId; let s = spanId; let f = sampled;
  if (single !== undefined) {
    const parts = single.trim().toLowerCase().split('-');
    if (parts.length < 2) return undefined;
    [t, s, f] = parts;
  }
  if (t === undefined || s === undefined) return undefined;
  t = t.toLowerCase(); s = s.toLowerCase();
  if (HEX16.test(t)) t = `0000000000000000${t}`;
  if (!HEX32.test(t) || !HEX16.test(s) || t === ZERO_TRACE || s === ZERO_SPAN) return undefined;
  return { traceId: t, spanId: s, sampled: f === '1' || f === 'd' || f === 'true' };
}

export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}
