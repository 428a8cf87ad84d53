// Kong's `grpc-web` plugin (PRIORITY 3): a browser's gRPC-Web call on an http/https route is sent to
// the route's gRPC service as a real gRPC call (HTTP/2, content-type application/grpc, TE: trailers,
// a text-mode body base64-decoded on the way) and the answer translated back (the client's content
// type, trailers as the body's last frame; proxy/grpc-web-downstream.ts). Access-Control-Allow-Origin
// is allow_origin_header on every answer; an OPTIONS preflight is answered here with Kong's fixed
// CORS headers (a cors plugin on the route, priority 2000, answers it first with its own policy).
// Without pass_stripped_path the upstream gets the client's path (Kong leaves the gRPC request URI
// alone), with it the route's stripped path. `proto` (JSON transcoding) is refused, naming its path.
import { Type, type Static } from '@sinclair/typebox';
import { grpcWebMode } from '../../proxy/grpc-web-wire.js';
import type { RequestContext } from '../context.js';
import type { AccessResult, PluginFactory, PluginInstance } from '../plugin.js';

const GrpcWebConfig = Type.Object({
  proto: Type.Optional(Type.String()),
  pass_stripped_path: Type.Optional(Type.Boolean()),
  allow_origin_header: Type.String({ default: '*' }),
}, { additionalProperties: false });

export type GrpcWebConfig = Static<typeof GrpcWebConfig>;

/** Kong's answer to a content type it cannot translate without a .proto */
export const NEEDS_PROTO = 'transcoding requests require a .proto file defining the service';

class GrpcWebInstance implements PluginInstance {
  readonly name = 'grpc-web';
  readonly priority = 3;
  readonly #allowOrigin: string;
  readonly #passStripped: boolean;
  readonly #preflight: Readonly<Record<string, string>>;

  constructor(config: GrpcWebConfig) {
    this.#allowOrigin = config.allow_origin_header;
    this.#passStripped = config.pass_stripped_path === true;
    this.#preflight = Object.freeze({
      'content-type': 'application/grpc-web-text+proto',
      'access-control-allow-origin': config.allow_origin_header,
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type,x-grpc-web,x-user-agent',
    });
  }

  access(ctx: RequestContext): AccessResult {
    if (ctx.method === 'OPTIONS') return { status: 200, body: 'OK', headers: this.#preflight };
    ctx.clientHeaders.set('access-control-allow-origin', this.#allowOrigin);
    const mode = grpcWebMode(ctx.header('content-type'));
    if (mode === undefined) return { status: 400, body: { message: NEEDS_PROTO } };
    if (!this.#passStripped) ctx.upstreamPath = ctx.path;
    const up = ctx.upstreamHeaders;
    up.set('content-type', 'application/grpc');
    up.set('te', 'trailers');
    up.remove('content-length');
    ctx.grpcWeb = mode;
    return undefined;
  }
}

export const grpcWebPlugin: PluginFactory<GrpcWebConfig> = {
  name: 'grpc-web',
  priority: 3,
  configSchema: GrpcWebConfig,
  validate: (config) => config.proto === undefined ? [] : [{
    path: 'proto',
    message: 'not supported: JSON transcoding (application/grpc-web+json, application/json) from a .proto; remove it: protobuf-framed gRPC-Web (application/grpc-web, application/grpc-web-text and +proto) needs none',
  }],
  create(config) {
    return new GrpcWebInstance(config);
  },
};
