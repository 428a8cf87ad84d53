import assert from 'node:assert/strict';
import pino from 'pino';
import { MeshTracer, type HopRequest } from '../../../../../agent/observe/trace/tracer.js';
import { TRACING_DEFAULTS, type TracingSettings } from '../../../../../agent/observe/trace/tracing-settings.js';
import { randomHex, sampledByRatio, UnsampledHop } from '../../../../../agent/observe/trace/unsampled-hop.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const req = (over: Partial<HopRequest> = {}): HopRequest => ({
  method: 'GET', path: '/', host: 'h', peerAddress: '127.0.0.1', userAgent: undefined, traceparent: undefined, tracestate: undefined, trustedPeer: false, ...over,
});

describe('sampling decided before any span exists', () => {
  it('randomHex gives hex ids of the asked length, different each time', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomHex(16)));
    assert.equal(ids.size, 1000);
    for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
    assert.match(randomHex(8), /^[0-9a-f]{16}$/);
  });

  it('sampledByRatio: 0 never, 1 always, about the ratio in between, the same for the same trace id', () => {
    const ids = Array.from({ length: 20_000 }, () => randomHex(16));
    assert.equal(ids.filter((t) => sampledByRatio(t, 0)).length, 0);
    assert.equal(ids.filter((t) => sampledByRatio(t, 1)).length, ids.length);
    const n = ids.filter((t) => sampledByRatio(t, 0.1)).length;
    assert.ok(n > 1600 && n < 2400, `10 % of 20,000: ${n}`);
    for (const t of ids.slice(0, 100)) assert.equal(sampledByRatio(t, 0.1), sampledByRatio(t, 0.1));
  });

  it('an unsampled hop forwards the trace id with a new span id and the flag off', () => {
    const h = new UnsampledHop(TRACE, 'k=v');
    const tp = h.attemptStart();
    assert.match(tp, new RegExp(`^00-${TRACE}-[0-9a-f]{16}-00$`));
    assert.notEqual(h.attemptStart(), tp);
    assert.equal(h.traceState, 'k=v');
    assert.equal(h.recording, false);
  });

  describe('MeshTracer.startHop', () => {
    const tracer = (over: Partial<TracingSettings>) => new MeshTracer('edge', { ...TRACING_DEFAULTS, endpoint: 'http://127.0.0.1:9/v1/traces', sendTimeoutMs: 200, ...over } as TracingSettings, pino({ level: 'silent' }), { inc() {} });
    const sampledParent = `00-${TRACE}-00f067aa0ba902b7-01`;
    const unsampledParent = `00-${TRACE}-00f067aa0ba902b7-00`;
    const CASES: [string, Partial<TracingSettings>, Partial<HopRequest>, boolean][] = [
      ['ratio 1, no parent: sampled', { samplingRatio: 1 }, {}, true],
      ['ratio 0, no parent: not sampled', { samplingRatio: 0 }, {}, false],
      ['ratio 0, untrusted client says sampled: not sampled (its flag does not decide)', { samplingRatio: 0 }, { traceparent: sampledParent }, false],
      ['ratio 1, untrusted client says not sampled: sampled', { samplingRatio: 1 }, { traceparent: unsampledParent }, true],
      ['ratio 0, trusted proxy says sampled: sampled', { samplingRatio: 0 }, { traceparent: sampledParent, trustedPeer: true }, true],
      ['ratio 1, trusted proxy says not sampled: not sampled', { samplingRatio: 1 }, { traceparent: unsampledParent, trustedPeer: true }, false],
      ['trust_client_sampling always: an untrusted client\'s flag decides', { samplingRatio: 0, trustClientSampling: 'always' }, { traceparent: sampledParent }, true],
    ];
    for (const [name, settings, r, sampled] of CASES) {
      it(name, async () => {
        const t = tracer(settings);
        const hop = t.startHop(req(r));
        assert.equal(hop.recording, sampled);
        if (r.traceparent) assert.equal(hop.traceId, TRACE, 'the caller\'s trace id is kept');
        assert.match(hop.attemptStart(1, 'e', 'GET'), new RegExp(`^00-${hop.traceId}-[0-9a-f]{16}-0${sampled ? 1 : 0}$`));
        hop.attemptEnd(200);
        hop.finish(200);
        await t.shutdown();
      });
    }
  });
});
