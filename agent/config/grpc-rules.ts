// Kong's rules for gRPC routes and services, checked once at load: a grpc/grpcs route takes gRPC
// calls only (no methods, no strip_path, not mixed with http/https), its service speaks gRPC
// (protocol grpc or grpcs), and the plugins Kong runs on HTTP only (or a plugin whose `protocols`
// leave grpc out) are not in a grpc route's scope — where Kong would skip them, meshgate refuses
// rather than run them differently. The one way an http/https route reaches a gRPC service is the
// grpc-web plugin (gRPC-Web calls translated to gRPC), attached to that route or its service.
import type { KongDeclarative, KongPlugin } from '../../proto/config-schema.js';
import type { ConfigIssue } from './config-error.js';
import { formatPath } from './config-error.js';

type Route = NonNullable<NonNullable<KongDeclarative['services']>[number]['routes']>[number];

/** plugins Kong limits to protocols http and https (their schema's protocols_http) */
const HTTP_ONLY_PLUGINS: ReadonlySet<string> = new Set(['cors', 'proxy-cache', 'request-transformer', 'response-transformer']);

const isGrpcProtocol = (p: string): boolean => p === 'grpc' || p === 'grpcs';
const GRPC_WEB = 'grpc-web';
const isGrpcWeb = (p: KongPlugin): boolean => p.name === GRPC_WEB && p.enabled !== false;
const refName = (ref: KongPlugin['route']): string | undefined => (typeof ref === 'string' ? ref : ref?.name ?? ref?.id);

function isGrpcRoute(r: Route): boolean {
  return r.protocols?.some(isGrpcProtocol) ?? false;
}

function routeRules(r: Route, at: (string | number)[], serviceSpeaksGrpc: boolean, grpcWeb: boolean, issues: ConfigIssue[]): void {
  const protocols = r.protocols ?? [];
  const grpc = isGrpcRoute(r);
  if (grpc && protocols.some((p) => !isGrpcProtocol(p))) {
    issues.push({ path: formatPath([...at, 'protocols']), message: 'grpc/grpcs cannot be mixed with http/https in one route; make a route for each' });
  }
  if (!grpc) {
    if (serviceSpeaksGrpc && !grpcWeb) issues.push({ path: formatPath([...at, 'protocols']), message: 'the service has protocol grpc/grpcs: its routes need protocols [grpc] and/or [grpcs] (or, for gRPC-Web calls on http/https, the grpc-web plugin)' });
    return;
  }
  if (r.methods !== undefined) issues.push({ path: formatPath([...at, 'methods']), message: "cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'" });
  if (r.strip_path === true) issues.push({ path: formatPath([...at, 'strip_path']), message: "cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'" });
  if (!serviceSpeaksGrpc) issues.push({ path: formatPath([...at, 'protocols']), message: 'a grpc/grpcs route needs a service with protocol grpc or grpcs (calls go upstream over HTTP/2)' });
}

function pluginRule(p: KongPlugin, at: (string | number)[], issues: ConfigIssue[]): void {
  if (p.name === GRPC_WEB) {
    issues.push({ path: formatPath([...at, 'name']), message: 'grpc-web translates gRPC-Web calls on http/https routes, and this scope includes a grpc route (which takes gRPC as it is); attach it to the http routes instead' });
  } else if (HTTP_ONLY_PLUGINS.has(p.name)) {
    issues.push({ path: formatPath([...at, 'name']), message: `${p.name} runs on http/https only (as in Kong), and this scope includes a grpc route; attach it to the http routes instead` });
  } else if (p.protocols !== undefined && !(p.protocols.includes('grpc') && p.protocols.includes('grpcs'))) {
    issues.push({ path: formatPath([...at, 'protocols']), message: 'not supported: a plugin limited to some protocols in a scope with grpc routes; list http, https, grpc and grpcs, or remove the field' });
  }
}

function pluginRules(plugins: readonly KongPlugin[] | undefined, at: (string | number)[], reachesGrpc: boolean, issues: ConfigIssue[]): void {
  if (reachesGrpc) plugins?.forEach((p, i) => pluginRule(p, [...at, i], issues));
}

/** grpc-web entries: the routes and services they name (top-level), refused where they reach no gRPC service */
function grpcWebScopes(kong: KongDeclarative, prefix: (string | number)[], issues: ConfigIssue[]): { routes: Map<string, number>; services: Map<string, number> } {
  /** route or service name/id → the index of the top-level entry naming it */
  const routes = new Map<string, number>();
  const services = new Map<string, number>();
  const needsGrpcService = (at: (string | number)[]): void => {
    issues.push({ path: formatPath([...at, 'name']), message: 'grpc-web sends calls to a gRPC service: its route\'s service needs protocol grpc or grpcs' });
  };
  kong.plugins?.forEach((p, i) => {
    if (!isGrpcWeb(p)) return;
    const route = refName(p.route);
    const service = refName(p.service);
    if (route !== undefined) routes.set(route, i);
    else if (service !== undefined) services.set(service, i);
    else issues.push({ path: formatPath([...prefix, 'plugins', i, 'name']), message: 'grpc-web applies to the routes of gRPC services: name a route or service for it (a global entry would take every route)' });
  });
  kong.consumers?.forEach((c, i) => c.plugins?.forEach((p, j) => {
    if (isGrpcWeb(p)) issues.push({ path: formatPath([...prefix, 'consumers', i, 'plugins', j, 'name']), message: 'grpc-web applies to routes or services, not to a consumer' });
  }));
  kong.services?.forEach((s, i) => {
    if (s.protocol === 'grpc' || s.protocol === 'grpcs') return;
    const at = [...prefix, 'services', i];
    const top = (m: Map<string, number>, e: { name?: string | undefined; id?: string | undefined }): void => {
      const k = (e.name !== undefined ? m.get(e.name) : undefined) ?? (e.id !== undefined ? m.get(e.id) : undefined);
      if (k !== undefined) needsGrpcService([...prefix, 'plugins', k]);
    };
    top(services, s);
    s.plugins?.forEach((p, k) => { if (isGrpcWeb(p)) needsGrpcService([...at, 'plugins', k]); });
    s.routes?.forEach((r, j) => {
      top(routes, r);
      r.plugins?.forEach((p, k) => { if (isGrpcWeb(p)) needsGrpcService([...at, 'routes', j, 'plugins', k]); });
    });
  });
  return { routes, services };
}

export function grpcRules(kong: KongDeclarative, prefix: (string | number)[], issues: ConfigIssue[]): void {
  const grpcRoutes = new Set<string>();
  const grpcServices = new Set<string>();
  const web = grpcWebScopes(kong, prefix, issues);
  kong.services?.forEach((s, i) => {
    const at = [...prefix, 'services', i];
    const speaksGrpc = s.protocol === 'grpc' || s.protocol === 'grpcs';
    const serviceWeb = s.plugins?.some(isGrpcWeb) === true || web.services.has(s.name) || (s.id !== undefined && web.services.has(s.id));
    s.routes?.forEach((r, j) => {
      const routeWeb = serviceWeb || r.plugins?.some(isGrpcWeb) === true || (r.name !== undefined && web.routes.has(r.name)) || (r.id !== undefined && web.routes.has(r.id));
      routeRules(r, [...at, 'routes', j], speaksGrpc, routeWeb, issues);
    });
    const routes = s.routes ?? [];
    const withGrpc = routes.some(isGrpcRoute);
    if (withGrpc) grpcServices.add(s.name);
    for (const r of routes) if (isGrpcRoute(r) && r.name !== undefined) grpcRoutes.add(r.name);
    pluginRules(s.plugins, [...at, 'plugins'], withGrpc, issues);
    routes.forEach((r, j) => pluginRules(r.plugins, [...at, 'routes', j, 'plugins'], isGrpcRoute(r), issues));
  });
  const anyGrpc = grpcServices.size > 0;
  kong.consumers?.forEach((c, i) => pluginRules(c.plugins, [...prefix, 'consumers', i, 'plugins'], anyGrpc, issues));
  kong.plugins?.forEach((p, i) => {
    const route = typeof p.route === 'string' ? p.route : p.route?.name;
    const service = typeof p.service === 'string' ? p.service : p.service?.name;
    const reaches = route !== undefined ? grpcRoutes.has(route) : service !== undefined ? grpcServices.has(service) : anyGrpc;
    if (reaches) pluginRule(p, [...prefix, 'plugins', i], issues);
  });
}
