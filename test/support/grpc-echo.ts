// A real gRPC server and client for the tests (@grpc/grpc-js, no .proto: messages are raw bytes).
// Service test.Echo (and the same handlers as test.Keyed): Unary echoes its request with the
// caller's metadata and a custom trailer, "fail:<msg>" answers INVALID_ARGUMENT; ServerStream sends
// N messages; ClientStream joins what it got; Bidi echoes each message; Slow never answers and
// counts the calls it saw cancelled.
import * as grpc from '@grpc/grpc-js';
import type { AgentHandle, Harness } from './harness.js';

const raw = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b };
const method = (service: string, name: string, requestStream: boolean, responseStream: boolean) => ({
  path: `/${service}/${name}`, requestStream, responseStream,
  requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize,
});

export function echoDefinition(service: string): grpc.ServiceDefinition {
  return {
    Unary: method(service, 'Unary', false, false), ServerStream: method(service, 'ServerStream', false, true),
    ClientStream: method(service, 'ClientStream', true, false), Bidi: method(service, 'Bidi', true, true), Slow: method(service, 'Slow', false, false),
  } as unknown as grpc.ServiceDefinition;
}

export interface EchoServer {
  readonly port: number;
  /** Slow calls whose cancellation (RST_STREAM) reached the server */
  readonly cancelled: () => number;
  /** metadata of the last call, as the server saw it */
  readonly lastMetadata: () => Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startEchoServer(): Promise<EchoServer> {
  let cancelled = 0;
  let last: Record<string, unknown> = {};
  const server = new grpc.Server();
  const handlers: grpc.UntypedServiceImplementation = {
    Unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      last = call.metadata.getMap();
      const text = call.request.toString();
      if (text.startsWith('fail:')) return cb({ code: grpc.status.INVALID_ARGUMENT, details: text.slice(5) });
      const head = new grpc.Metadata(); head.set('x-initial', 'yes');
      call.sendMetadata(head);
      const trailer = new grpc.Metadata(); trailer.set('x-trailer', 'kept');
      cb(null, Buffer.from(`echo:${text}`), trailer);
    },
    ServerStream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const n = Number(call.request.toString());
      for (let i = 0; i < n; i++) call.write(Buffer.from(`m${i}`));
      call.end();
    },
    ClientStream: (call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const got: string[] = [];
      call.on('data', (b: Buffer) => got.push(b.toString()));
      call.on('end', () => cb(null, Buffer.from(got.join(','))));
    },
    Bidi: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (b: Buffer) => call.write(Buffer.from(`re:${b.toString()}`)));
      call.on('end', () => call.end());
    },
    Slow: (call: grpc.ServerUnaryCall<Buffer, Buffer>) => {
      call.on('cancelled', () => { cancelled++; });
    },
  };
  server.addService(echoDefinition('test.Echo'), handlers);
  server.addService(echoDefinition('test.Keyed'), handlers);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port, cancelled: () => cancelled, lastMetadata: () => last,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EchoClient = grpc.Client & Record<string, any>;

/** A client for `service` at `target` (host:port), plaintext h2c or TLS with `ca`. */
export function echoClient(service: string, target: string, tls?: { ca: string; servername: string }): EchoClient {
  const Ctor = grpc.makeGenericClientConstructor(echoDefinition(service) as never, service);
  const creds = tls ? grpc.credentials.createSsl(Buffer.from(tls.ca)) : grpc.credentials.createInsecure();
  const options = tls ? { 'grpc.ssl_target_name_override': tls.servername, 'grpc.default_authority': tls.servername } : {};
  return new Ctor(target, creds, options) as EchoClient;
}

export interface UnaryResult { readonly err: grpc.ServiceError | null; readonly value?: Buffer; readonly headers?: grpc.Metadata; readonly trailers?: grpc.Metadata }

export function unary(client: EchoClient, name: string, body: string, metadata = new grpc.Metadata(), options: grpc.CallOptions = {}): Promise<UnaryResult> {
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    let trailers: grpc.Metadata | undefined;
    const call = client[name](Buffer.from(body), metadata, options, (err: grpc.ServiceError | null, value?: Buffer) => {
      // the status event (with the trailers) may come after the callback
      setImmediate(() => resolve({ err, ...(value ? { value } : {}), ...(headers ? { headers } : {}), ...(trailers ? { trailers } : {}) }));
    }) as grpc.ClientUnaryCall;
    call.on('metadata', (m: grpc.Metadata) => { headers = m; });
    call.on('status', (s: grpc.StatusObject) => { trailers = s.metadata; });
  });
}

/** ServerStream(n): the messages received, in order. */
export function serverStream(client: EchoClient, n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    const call = client.ServerStream(Buffer.from(String(n)));
    call.on('data', (b: Buffer) => out.push(b.toString()));
    call.on('error', reject);
    call.on('end', () => resolve(out));
  });
}

/** Bidi with `count` messages x0, x1 …, each sent only once the answer to the one before has arrived. */
export function bidiInTurn(client: EchoClient, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const out: string[] = [];
    const call = client.Bidi();
    const send = (i: number) => { if (i < count) call.write(Buffer.from(`x${i}`)); else call.end(); };
    call.on('data', (b: Buffer) => { out.push(b.toString()); send(out.length); });
    call.on('error', reject);
    call.on('end', () => resolve(out));
    send(0);
  });
}

/** The echo server's sidecar (service greeter, instance greeter-1, a TCP check on the server's port). */
export async function startGreeterSidecar(h: Harness, server: EchoServer): Promise<AgentHandle> {
  const [meshPort, adminPort] = [await h.port(), await h.port()];
  const file = h.writeYaml('sidecar-greeter.yaml', {
    consul: { address: h.consul.httpAddress },
    agent: { node: 'greeter-1', admin: `127.0.0.1:${adminPort}`, log_level: 'info' },
    sidecar: {
      listen: `127.0.0.1:${meshPort}`,
      services: [{ name: 'greeter', id: 'greeter-1', port: server.port, check: { tcp: `127.0.0.1:${server.port}`, interval: '1s' } }],
    },
  });
  return h.startAgent('sidecar greeter-1', file, { adminPort, port: meshPort });
}

export { grpc };
