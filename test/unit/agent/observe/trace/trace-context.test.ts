import assert from 'node:assert/strict';
import { formatTraceparent, parseB3, parseTraceparent } from '../../../../../agent/observe/trace/trace-context.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';

describe('parseTraceparent (W3C Trace Context)', () => {
  const ROWS: readonly [string | undefined, ReturnType<typeof parseTraceparent>][] = [
    [`00-${T}-${S}-01`, { traceId: T, spanId: S, sampled: true }],
    [`00-${T}-${S}-00`, { traceId: T, spanId: S, sampled: false }],
    [`00-${T}-${S}-03`, { traceId: T, spanId: S, sampled: true }],
    [`01-${T}-${S}-01-future`, { traceId: T, spanId: S, sampled: true }],
    [`00-${T}-${S}-01-extra`, undefined],
    [`ff-${T}-${S}-01`, undefined],
    [`00-${'0'.repeat(32)}-${S}-01`, undefined],
    [`00-${T}-${'0'.repeat(16)}-01`, undefined],
    [`00-${T.toUpperCase()}-${S}-01`, undefined],
    [`00-${T}-${S}`, undefined],
    ['garbage', undefined],
    [undefined, undefined],
  ];
  for (const [input, want] of ROWS) it(`${input} → ${JSON.stringify(want)}`, () => assert.deepEqual(parseTraceparent(input), want));

  it('keeps tracestate', () => assert.equal(parseTraceparent(`00-${T}-${S}-01`, 'congo=t61rcWkgMzE')?.traceState, 'congo=t61rcWkgMzE'));
  it('formats what it parses', () => assert.deepEqual(parseTraceparent(formatTraceparent(T, S, true)), { traceId: T, spanId: S, sampled: true }));
});

describe('parseB3', () => {
  const ROWS: readonly [Parameters<typeof parseB3>, ReturnType<typeof parseB3>][] = [
    [[`${T}-${S}-1`], { traceId: T, spanId: S, sampled: true }],
    [[`${T}-${S}-d`], { traceId: T, spanId: S, sampled: true }],
    [[`${T}-${S}`], { traceId: T, spanId: S, sampled: false }],
    [[`a3ce929d0e0e4736-${S}-1`], { traceId: `0000000000000000a3ce929d0e0e4736`, spanId: S, sampled: true }],
    [[undefined, T, S, '1'], { traceId: T, spanId: S, sampled: true }],
    [[undefined, T, S, '0'], { traceId: T, spanId: S, sampled: false }],
    [['0'], undefined],
    [[undefined, 'xyz', S, '1'], undefined],
    [[undefined, T, undefined, '1'], undefined],
  ];
  for (const [args, want] of ROWS) it(`${JSON.stringify(args)} → ${JSON.stringify(want)}`, () => assert.deepEqual(parseB3(...args), want));
});
