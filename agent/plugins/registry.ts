// Plugins by Kong name. Adding one is a folder under agent/plugins/ and a line here.
import type { PluginFactory } from './plugin.js';
import { aclPlugin } from './acl/acl.js';
import { circuitBreakerPlugin } from './circuit-breaker/circuit-breaker.js';
import { correlationIdPlugin } from './correlation-id/correlation-id.js';
import { corsPlugin } from './cors/cors.js';
import { grpcWebPlugin } from './grpc-web/grpc-web.js';
import { ipRestrictionPlugin } from './ip-restriction/ip-restriction.js';
import { jwtPlugin } from './jwt/jwt.js';
import { keyAuthPlugin } from './key-auth/key-auth.js';
import { openTelemetryPlugin } from './opentelemetry/opentelemetry.js';
import { prometheusPlugin } from './prometheus/prometheus.js';
import { proxyCachePlugin } from './proxy-cache/proxy-cache.js';
import { rateLimitingPlugin } from './rate-limiting/rate-limiting.js';
import { requestSizeLimitingPlugin } from './request-size-limiting/request-size-limiting.js';
import { requestTransformerPlugin } from './request-transformer/request-transformer.js';
import { responseTransformerPlugin } from './response-transformer/response-transformer.js';

const ALL: readonly PluginFactory<any>[] = [
  correlationIdPlugin, corsPlugin, jwtPlugin, keyAuthPlugin, ipRestrictionPlugin, requestSizeLimitingPlugin,
  aclPlugin, rateLimitingPlugin, circuitBreakerPlugin, requestTransformerPlugin, responseTransformerPlugin, proxyCachePlugin,
  grpcWebPlugin, openTelemetryPlugin, prometheusPlugin,
];

export const PLUGINS: ReadonlyMap<string, PluginFactory<any>> = new Map(ALL.map((p) => [p.name, p]));
