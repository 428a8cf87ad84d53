// Traces across hops with the real OTel SDK and OTLP/HTTP exporter, decoded by a real receiver:
// edge → users' sidecar (mTLS, Consul Connect) → users-1. One trace id everywhere, the instance's
// traceparent parented by the sidecar's client span, a retry visible as two client spans, a dead
// collector costing no request, and an untrusted client's sampled flag not forcing sampling.
import assert from 'node:assert/strict';
import net from 'node:net';
import { useHarness, waitFor, type AgentHandle, type ServiceHandle } from '../support/harness.js';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';

const SERVER = 2;
const CLIENT = 3;
const TP = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0([01])$/;

function otel(endpoint: string, extra: Record<string, unknown> = {}) {
  return { name: 'opentelemetry', config: { traces_endpoint: endpoint, queue: { max_coalescing_delay: 0.1 }, ...extra } };
}

describe('tracing: OpenTelemetry spans across edge and sidecar', function () {
  this.timeout(120_000);
  const harness = useHarness('tracing');
  const receiver = new OtlpReceiver();
  let users: ServiceHandle;
  let web: ServiceHandle;
  let edge: AgentHandle;
  let edgeSampleNone: AgentHandle;
  let edgeTrustedNone: AgentHandle;
  let deadCollectorEdge: AgentHandle;
  let deadPort: number;
  let agentTracedEdge: AgentHandle;
  let hungCollectorEdge: AgentHandle;
  // a collector that accepts connections and never answers
  const hungSockets = new Set<net.Socket>();
  const hungCollector = net.createServer((s) => { hungSockets.add(s); s.on('close', () => hungSockets.delete(s)); });

  const kong = (plugins: unknown[]) => ({
    _format_version: '3.0',
    services: [
      { name: 'users', url: 'http://users', routes: [{ name: 'users', paths: ['/users'], strip_path: false }, { name: 'limited', paths: ['/limited'] }] },
      { name: 'flaky', url: 'http://flaky-lb', routes: [{ name: 'flaky', paths: ['/flaky'], strip_path: true }] },
    ],
    upstreams: [{ name: 'flaky-lb', targets: [{ target: `127.0.0.1:${deadPort}` }, { target: `127.0.0.1:${web.port}` }] }],
    plugins,
  });

  before(async function () {
    const h = harness();
    await receiver.start();
    deadPort = await h.port(); // nothing listens there: connect refused
    [users, web] = await Promise.all([h.startService('users', 'users-1'), h.startService('web', 'web-1')]);
    await h.startSidecar({ service: users, agent: { tracing: { endpoint: receiver.url, queue: { delay: '100ms' } } } });
    const deadCollector = `http://127.0.0.1:${await h.port()}/v1/traces`;
    [edge, edgeSampleNone, edgeTrustedNone, deadCollectorEdge] = await Promise.all([
      h.startEdge({ name: 'edge', kong: kong([otel(receiver.url, { sampling_rate: 1, http_response_header_for_traceid: 'X-Trace-Id' })]) }),
      h.startEdge({ name: 'edge-untrusted', kong: kong([otel(receiver.url, { sampling_rate: 0 })]) }),
      h.startEdge({ name: 'edge-trusted', trustedProxies: ['127.0.0.1/32'], kong: kong([otel(receiver.url, { sampling_rate: 0 })]) }),
      h.startEdge({ name: 'edge-dead-collector', kong: kong([otel(deadCollector, { sampling_rate: 1 })]) }),
    ]);
    await new Promise<void>((resolve) => hungCollector.listen(0, '127.0.0.1', resolve));
    const hungUrl = `http://127.0.0.1:${(hungCollector.address() as net.AddressInfo).port}/v1/traces`;
    [agentTracedEdge, hungCollectorEdge] = await Promise.all([
      h.startEdge({
        name: 'edge-agent-tracing', kong: kong([{ name: 'rate-limiting', route: 'limited', config: { minute: 1, policy: 'local' } }]),
        agent: { tracing: {
          endpoint: receiver.url, sampling_ratio: 1, trust_client_sampling: 'always', headers: { 'x-collector-token': 'c0llect' },
          resource_attributes: { 'deployment.environment': 'it' }, response_header: 'X-Agent-Trace', extract_b3: true,
          queue: { delay: '100ms', max_batch_size: 50, max_entries: 1000 }, send_timeout: '2s',
        } },
      }),
      h.startEdge({
        name: 'edge-hung-collector', kong: kong([]),
        agent: { tracing: { endpoint: hungUrl, send_timeout: '300ms', queue: { max_entries: 4, max_batch_size: 2, delay: '50ms' } } },
      }),
    ]);
    for (const e of [edge, edgeSampleNone, edgeTrustedNone, deadCollectorEdge, agentTracedEdge, hungCollectorEdge]) await h.waitForPool(e, 'consul:users', ['users-1']);
  });

  after(async function () {
    await receiver.stop();
    for (const s of hungSockets) s.destroy();
    await new Promise<void>((resolve) => hungCollector.close(() => resolve()));
  });

  const spansOf = (traceId: string, want: (s: ReceivedSpan[]) => boolean, what: string) =>
    waitFor(() => { const s = receiver.trace(traceId); return want(s) ? s : undefined; }, { timeoutMs: 15_000, intervalMs: 100, what });

  it('exports one trace with edge and sidecar spans; the instance gets a traceparent of the same trace', async function () {
    const h = harness();
    const { res, echo } = await h.echo(`${edge.url}/users/1`);
    assert.equal(res.status, 200, res.text);
    const traceId = String(res.headers['x-trace-id']);
    assert.match(traceId, /^[0-9a-f]{32}$/, 'http_response_header_for_traceid carries the trace id');
    const tp = TP.exec(echo!.headers.traceparent ?? '');
    assert.ok(tp, `the instance got a W3C traceparent: ${echo!.headers.traceparent}`);
    assert.equal(tp[1], traceId, 'same trace id at the instance');
    assert.equal(tp[3], '1', 'sampled');
    const spans = await spansOf(traceId, (s) => s.length >= 4, 'edge and sidecar spans at the receiver');
    assert.ok([...receiver.contentTypes].some((c) => c.startsWith('application/json')), 'the exporter sent OTLP JSON');
    const edgeServer = spans.find((s) => s.service === 'meshgate-edge' && s.kind === SERVER);
    const edgeClient = spans.find((s) => s.service === 'meshgate-edge' && s.kind === CLIENT);
    const sidecarServer = spans.find((s) => s.service === 'meshgate-sidecar' && s.kind === SERVER);
    const sidecarClient = spans.find((s) => s.service === 'meshgate-sidecar' && s.kind === CLIENT);
    assert.ok(edgeServer && edgeClient && sidecarServer && sidecarClient, JSON.stringify(spans, null, 1));
    assert.equal(edgeServer.parentSpanId, '', 'the edge span is the root');
    assert.equal(edgeClient.parentSpanId, edgeServer.spanId);
    assert.equal(sidecarServer.parentSpanId, edgeClient.spanId, 'the sidecar continues the edge attempt');
    assert.equal(sidecarClient.parentSpanId, sidecarServer.spanId);
    assert.equal(tp[2], sidecarClient.spanId, "the instance's parent is the sidecar's client span");
    assert.equal(edgeServer.attributes['http.request.method'], 'GET');
    assert.equal(edgeServer.attributes['url.path'], '/users/1');
    assert.equal(edgeServer.attributes['http.response.status_code'], 200);
    assert.equal(edgeServer.attributes['meshgate.route'], 'users');
    assert.equal(edgeServer.attributes['meshgate.service'], 'users');
    assert.equal(edgeClient.attributes['meshgate.attempt'], 1);
    assert.ok(String(edgeClient.attributes['meshgate.endpoint']).length > 0);
    // the access-log line carries the trace id
    await waitFor(() => edge.accessLog().some((l) => l.trace_id === traceId), { timeoutMs: 5000, what: 'trace_id in the access log' });
  });

  it('shows a retry as two client spans of one server span', async function () {
    const h = harness();
    let traceId = '';
    for (let i = 0; i < 4 && traceId === ''; i++) {
      const res = await h.http.get(`${edge.url}/flaky/x${i}`);
      assert.equal(res.status, 200, res.text);
      const id = String(res.headers['x-trace-id']);
      const line = await waitFor(() => edge.accessLog().find((l) => l.trace_id === id), { timeoutMs: 5000, what: 'the access-log line' });
      if (line.attempts === 2) traceId = id;
    }
    assert.ok(traceId, 'one of the requests met the dead target first');
    const spans = await spansOf(traceId, (s) => s.filter((x) => x.kind === CLIENT).length >= 2 && s.some((x) => x.kind === SERVER), 'the retried trace');
    const server = spans.find((s) => s.kind === SERVER)!;
    const clients = spans.filter((s) => s.kind === CLIENT).sort((a, b) => Number(a.attributes['meshgate.attempt']) - Number(b.attributes['meshgate.attempt']));
    assert.deepEqual(clients.map((c) => c.attributes['meshgate.attempt']), [1, 2]);
    assert.ok(clients.every((c) => c.parentSpanId === server.spanId));
    assert.equal(clients[0]!.attributes['meshgate.endpoint'], `127.0.0.1:${deadPort}`);
    assert.equal(clients[0]!.attributes['error.type'], 'MG_CONNECT_FAILED');
    assert.equal(clients[1]!.attributes['http.response.status_code'], 200);
  });

  it("keeps an untrusted client's trace id but not its sampled flag; a trusted proxy's flag is followed", async function () {
    const h = harness();
    const clientTrace = 'f'.repeat(8) + '1234567890abcdef1234567890ab'.slice(0, 24);
    const sent = `00-${clientTrace}-00f067aa0ba902b7-01`;
    const untrusted = await h.echo(`${edgeSampleNone.url}/users/2`, { headers: { traceparent: sent } });
    assert.equal(untrusted.res.status, 200);
    const tpU = TP.exec(untrusted.echo!.headers.traceparent ?? '')!;
    assert.equal(tpU[1], clientTrace, 'the trace id is continued');
    assert.equal(tpU[3], '0', 'sampling_rate 0 decides, not the client');
    const trustedTrace = 'e'.repeat(8) + clientTrace.slice(8);
    const trusted = await h.echo(`${edgeTrustedNone.url}/users/3`, { headers: { traceparent: `00-${trustedTrace}-00f067aa0ba902b7-01` } });
    const tpT = TP.exec(trusted.echo!.headers.traceparent ?? '')!;
    assert.equal(tpT[1], trustedTrace);
    assert.equal(tpT[3], '1', 'a trusted proxy may force sampling');
    await spansOf(trustedTrace, (s) => s.some((x) => x.service === 'meshgate-edge' && x.kind === SERVER && x.parentSpanId === '00f067aa0ba902b7'), 'the trusted trace');
    // the untrusted one was never exported, by the edge or by the sidecar that followed its decision
    assert.deepEqual(receiver.trace(clientTrace), []);
  });

  it('answers every request when the collector is dead, and counts the dropped spans', async function () {
    const h = harness();
    for (let i = 0; i < 20; i++) {
      const res = await h.http.get(`${deadCollectorEdge.url}/users/${i}`);
      assert.equal(res.status, 200, res.text);
    }
    await waitFor(async () => /meshgate_trace_spans_dropped_total\{reason="export_failed"\} [1-9]/.test(await deadCollectorEdge.metrics()), { timeoutMs: 15_000, intervalMs: 200, what: 'dropped spans counted' });
    await waitFor(() => deadCollectorEdge.child.output.lines.some((l) => l.text.includes('trace spans dropped')), { timeoutMs: 15_000, intervalMs: 200, what: 'the drop logged' });
  });

  it('agent.tracing: extract_b3 continues a B3 trace, trust_client_sampling always follows its sampled flag over sampling_ratio, response_header carries the trace id', async function () {
    const h = harness();
    const b3Trace = 'b3'.repeat(16);
    const { res, echo } = await h.echo(`${agentTracedEdge.url}/users/5`, { headers: { b3: `${b3Trace}-00f067aa0ba902b7-0` } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-agent-trace'], b3Trace, 'response_header');
    const tp = TP.exec(echo!.headers.traceparent ?? '')!;
    assert.equal(tp[1], b3Trace, 'the B3 trace id is continued as W3C');
    assert.equal(tp[3], '0', "sampling_ratio 1, but the client's flag (0) decides under trust_client_sampling: always");
  });

  it('agent.tracing: endpoint, headers, resource_attributes, queue; a plugin decision is a span event', async function () {
    const h = harness();
    assert.equal((await h.http.get(`${agentTracedEdge.url}/limited/a`)).status, 200);
    const refused = await h.http.get(`${agentTracedEdge.url}/limited/b`);
    assert.equal(refused.status, 429, refused.text);
    const traceId = String(refused.headers['x-agent-trace']);
    const spans = await spansOf(traceId, (s) => s.some((x) => x.kind === SERVER), 'the refused request at the receiver');
    const server = spans.find((x) => x.kind === SERVER)!;
    assert.equal(server.attributes['http.response.status_code'], 429);
    assert.ok(server.events.some((e) => e.name === 'plugin.rate-limiting.answered'), JSON.stringify(server.events));
    assert.equal(server.resource['deployment.environment'], 'it', 'resource_attributes');
    assert.ok(receiver.requestHeaders.some((hd) => hd['x-collector-token'] === 'c0llect'), 'headers sent to the collector');
    assert.ok(!spans.some((x) => x.kind === CLIENT), 'a refused request makes no upstream attempt');
  });

  it('agent.tracing: a hung collector (send_timeout, queue.max_entries) costs no request; full-queue and failed-export drops are counted', async function () {
    const h = harness();
    for (let i = 0; i < 20; i++) {
      const res = await h.http.get(`${hungCollectorEdge.url}/users/${i}`);
      assert.equal(res.status, 200, res.text);
    }
    const counted = (reason: string) => async () => new RegExp(`meshgate_trace_spans_dropped_total\\{reason="${reason}"\\} [1-9]`).test(await hungCollectorEdge.metrics());
    await waitFor(counted('queue_full'), { timeoutMs: 15_000, intervalMs: 200, what: 'queue_full drops counted' });
    await waitFor(counted('export_failed'), { timeoutMs: 15_000, intervalMs: 200, what: 'export_failed drops counted (send_timeout)' });
  });
});
