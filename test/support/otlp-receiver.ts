// A real OTLP/HTTP traces receiver for the tests: accepts what @opentelemetry/exporter-trace-otlp-http
// sends (OTLP JSON: ExportTraceServiceRequest) on /v1/traces, decodes it and keeps the spans.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  readonly service: string;
  /** the resource's attributes (service.name and any configured ones) */
  readonly resource: Record<string, string | number | boolean>;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 2 server, 3 client */
  readonly kind: number;
  readonly attributes: Record<string, string | number | boolean>;
  readonly events: readonly { name: string; attributes: Record<string, string | number | boolean> }[];
}

interface AnyValue { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number }
interface KeyValue { key: string; value: AnyValue }

function attrs(list: readonly KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    out[key] = value.stringValue ?? (value.intValue !== undefined ? Number(value.intValue) : undefined) ?? value.boolValue ?? value.doubleValue ?? '';
  }
  return out;
}

/** OTLP JSON encodes ids as hex; protobuf-JSON mappings may use base64 — accept both. */
function hexId(v: string | undefined, bytes: number): string {
  if (v === undefined || v === '') return '';
  if (new RegExp(`^[0-9a-f]{${bytes * 2}}$`).test(v)) return v;
  return Buffer.from(v, 'base64').toString('hex');
}

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly contentTypes = new Set<string>();
  /** the headers of every export request */
  readonly requestHeaders: http.IncomingHttpHeaders[] = [];
  requests = 0;
  #server: http.Server | null = null;
  port = 0;

  async start(): Promise<void> {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        this.contentTypes.add(String(req.headers['content-type']));
        this.requestHeaders.push(req.headers);
        if (req.url !== '/v1/traces' || !String(req.headers['content-type']).startsWith('application/json')) {
          res.writeHead(415).end();
          return;
        }
        this.#decode(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  get url(): string { return `http://127.0.0.1:${this.port}/v1/traces`; }

  #decode(body: { resourceSpans?: { resource?: { attributes?: KeyValue[] }; scopeSpans?: { spans?: Record<string, unknown>[] }[] }[] }): void {
    for (const rs of body.resourceSpans ?? []) {
      const resource = attrs(rs.resource?.attributes);
      const service = String(resource['service.name'] ?? '');
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            service, resource, traceId: hexId(s.traceId as string, 16), spanId: hexId(s.spanId as string, 8), parentSpanId: hexId(s.parentSpanId as string | undefined, 8),
            name: String(s.name), kind: Number(s.kind), attributes: attrs(s.attributes as KeyValue[]),
            events: ((s.events as { name: string; attributes?: KeyValue[] }[] | undefined) ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
          });
        }
      }
    }
  }

  trace(traceId: string): ReceivedSpan[] { return this.spans.filter((s) => s.traceId === traceId); }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = null;
    if (s === null) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
