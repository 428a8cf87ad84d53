// Schema validation (Ajv) plus the rules a schema cannot say; every issue names its YAML path.
import { isIP } from 'node:net';
import type { ErrorObject } from 'ajv';
import {
  UNSUPPORTED_KONG_ENTITIES,
  type KongDeclarative as KongDecl, type MeshgateConfig as Config,
} from '../../proto/config-schema.js';
import type { ConfigIssue } from './config-error.js';
import { formatPath } from './config-error.js';
import { pathRegex } from '../table/router.js';
import { resolvePlugins } from '../plugins/plugin-config.js';
import { grpcRules } from './grpc-rules.js';
import { unsupportedKongFields } from './unsupported-fields.js';
import { kongIdentityRules } from './kong-identities.js';
import { collectCertificates } from '../edge/tls/certificate-sources.js';
import { configValidators } from './config-validators.js';

const { meshgate: validateMeshgate, kong: validateKong } = configValidators;

function pointerToSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((s) => {
    const k = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(k) ? Number(k) : k;
  });
}

/** Kong OSS proxies WebSocket on http/https routes; the ws/wss route protocols are Kong Enterprise's */
const WS_PROTOCOLS = 'not supported: ws and wss are Kong Enterprise route protocols; WebSocket upgrades are proxied on http and https routes (list those instead)';

function ajvIssue(e: ErrorObject, prefix: (string | number)[]): ConfigIssue {
  const at = [...prefix, ...pointerToSegments(e.instancePath)];
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const atKongRoot = at.length === 0 || (at.length === 2 && at[0] === 'edge' && at[1] === 'kong');
      const onServiceOrRoute = at[at.length - 2] === 'services' || at[at.length - 2] === 'routes';
      const why = atKongRoot || (key === 'plugins' && onServiceOrRoute) ? UNSUPPORTED_KONG_ENTITIES[key] : undefined;
      return { path: formatPath([...at, key]), message: why ?? 'unknown key' };
    }
    case 'required':
      return { path: formatPath([...at, String(e.params.missingProperty)]), message: 'is required' };
    case 'pattern': {
      const rule = (e.parentSchema as { rule?: string } | undefined)?.rule;
      return { path: formatPath(at), message: rule ?? `must match ${String(e.params.pattern)}` };
    }
    case 'enum':
      if (at[at.length - 2] === 'protocols' && (e.data === 'ws' || e.data === 'wss')) return { path: formatPath(at), message: WS_PROTOCOLS };
      return { path: formatPath(at), message: `must be one of ${JSON.stringify(e.params.allowedValues)}` };
    case 'const':
      return { path: formatPath(at), message: `must be ${JSON.stringify(e.params.allowedValue)}` };
    default:
      return { path: formatPath(at), message: e.message ?? e.keyword };
  }
}

/** Ajv reports each branch of a union of literals; fold them into one "must be one of". */
function foldUnionErrors(errors: ErrorObject[]): ErrorObject[] {
  const byPath = new Map<string, unknown[]>();
  const kept: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === 'const') {
      const list = byPath.get(e.instancePath) ?? [];
      list.push(e.params.allowedValue);
      byPath.set(e.instancePath, list);
    } else if (e.keyword === 'anyOf' && byPath.has(e.instancePath)) {
      kept.push({ ...e, keyword: 'enum', params: { allowedValues: byPath.get(e.instancePath) } });
    } else if (e.keyword !== 'anyOf') {
      kept.push(e);
    }
  }
  return kept;
}

function collect(errors: ErrorObject[] | null | undefined, prefix: (string | number)[]): ConfigIssue[] {
  const seen = new Set<string>();
  const out: ConfigIssue[] = [];
  for (const issue of foldUnionErrors(errors ?? []).map((e) => ajvIssue(e, prefix))) {
    const k = `${issue.path}\u0000${issue.message}`;
    if (!seen.has(k)) { seen.add(k); out.push(issue); }
  }
  return out;
}

function kongRules(kong: KongDecl, prefix: (string | number)[], issues: ConfigIssue[]): void {
  issues.push(...resolvePlugins(kong, prefix, { allowUnknown: process.env.MESHGATE_ALLOW_UNKNOWN_PLUGINS === '1' }).issues);
  unsupportedKongFields(kong, prefix, issues);
  kongIdentityRules(kong, prefix, issues);
  grpcRules(kong, prefix, issues);
  const serviceNames = new Set<string>();
  const upstreamNames = new Set<string>();
  kong.upstreams?.forEach((u, i) => {
    if (upstreamNames.has(u.name)) issues.push({ path: formatPath([...prefix, 'upstreams', i, 'name']), message: `duplicate upstream name "${u.name}"` });
    upstreamNames.add(u.name);
  });
  kong.services?.forEach((s, i) => {
    const at = [...prefix, 'services', i];
    if (serviceNames.has(s.name)) issues.push({ path: formatPath([...at, 'name']), message: `duplicate service name "${s.name}"` });
    serviceNames.add(s.name);
    if (s.url === undefined && s.host === undefined) issues.push({ path: formatPath(at), message: 'needs either url or host' });
    if (s.url !== undefined && (s.host !== undefined || s.port !== undefined || s.protocol !== undefined || s.path !== undefined)) {
      issues.push({ path: formatPath([...at, 'url']), message: 'url cannot be combined with protocol, host, port or path' });
    }
    s.routes?.forEach((r, j) => {
      const rat = [...at, 'routes', j];
      if (!r.paths?.length && !r.hosts?.length && !r.methods?.length) {
        issues.push({ path: formatPath(rat), message: 'must have at least one of paths, hosts or methods' });
      }
      if (r.snis?.length && r.protocols && !r.protocols.includes('https') && !r.protocols.includes('grpcs')) {
        issues.push({ path: formatPath([...rat, 'snis']), message: 'needs "https" or "grpcs" in protocols (an SNI comes only with TLS)' });
      }
      r.paths?.forEach((p, k) => {
        try { pathRegex(p, kong._format_version); } catch (err) {
          issues.push({ path: formatPath([...rat, 'paths', k]), message: `invalid regex: ${(err as Error).message}` });
        }
      });
      for (const [name, values] of Object.entries(r.headers ?? {})) {
        values.forEach((v, k) => {
          if (!v.startsWith('~*')) return;
          try { new RegExp(v.slice(2)); } catch (err) {
            issues.push({ path: formatPath([...rat, 'headers', name, k]), message: `invalid regex: ${(err as Error).message}` });
          }
        });
      }
    });
  });
}

function meshgateRules(cfg: Config, issues: ConfigIssue[]): void {
  if (!cfg.sidecar && !cfg.edge) issues.push({ path: '', message: 'needs a sidecar or an edge section (or both)' });
  const workers = cfg.agent?.workers;
  if (cfg.sidecar && workers !== undefined && workers !== 1) {
    issues.push({ path: 'agent.workers', message: 'must be 1 with a sidecar section: the sidecar role runs in one process (workers are for an edge-only agent)' });
  }
  const dc = cfg.consul?.datacenter;
  const own = dc === undefined ? -1 : (cfg.consul?.failover_datacenters ?? []).indexOf(dc);
  if (own >= 0) issues.push({ path: formatPath(['consul', 'failover_datacenters', own]), message: `is consul.datacenter ("${dc}"), the local datacenter itself` });
  const ids = new Set<string>();
  cfg.sidecar?.services.forEach((s, i) => {
    const at = ['sidecar', 'services', i];
    const id = s.id ?? s.name;
    if (ids.has(id)) issues.push({ path: formatPath([...at, s.id ? 'id' : 'name']), message: `duplicate service id "${id}"; give each instance its own id` });
    ids.add(id);
    if (s.check) {
      const kinds = ['http', 'tcp', 'ttl'].filter((k) => (s.check as Record<string, unknown>)[k] !== undefined);
      if (kinds.length !== 1) issues.push({ path: formatPath([...at, 'check']), message: 'must have exactly one of http, tcp or ttl' });
      if ((s.check.http || s.check.tcp) && !s.check.interval) issues.push({ path: formatPath([...at, 'check', 'interval']), message: 'is required for http and tcp checks' });
    }
  });
  const listens = new Map<string, string>();
  const claim = (addr: string | undefined, path: (string | number)[]) => {
    if (addr === undefined) return;
    const port = addr.slice(addr.lastIndexOf(':') + 1);
    const other = port === '0' ? undefined : listens.get(port);
    if (other !== undefined) issues.push({ path: formatPath(path), message: `port ${port} is already used by ${other}` });
    else listens.set(port, formatPath(path));
  };
  claim(cfg.edge?.listen, ['edge', 'listen']);
  claim(cfg.edge?.listen_tls, ['edge', 'listen_tls']);
  claim(cfg.sidecar?.listen, ['sidecar', 'listen']);
  const upstreamServices = new Set<string>();
  cfg.sidecar?.upstreams?.forEach((u, i) => {
    claim(u.listen, ['sidecar', 'upstreams', i, 'listen']);
    if (upstreamServices.has(u.service)) issues.push({ path: formatPath(['sidecar', 'upstreams', i, 'service']), message: `duplicate upstream "${u.service}"` });
    upstreamServices.add(u.service);
  });
  cfg.edge?.trusted_proxies?.forEach((cidr, i) => {
    const why = cidrProblem(cidr);
    if (why) issues.push({ path: formatPath(['edge', 'trusted_proxies', i]), message: why });
  });
  if (cfg.edge) {
    kongRules(cfg.edge.kong, ['edge', 'kong'], issues);
    issues.push(...collectCertificates(cfg.edge.kong, cfg.edge.tls, ['edge', 'kong']).issues);
    const certificates = (cfg.edge.kong.certificates?.length ?? 0) + (cfg.edge.tls?.certificates?.length ?? 0);
    const http2 = cfg.edge.http2;
    if (http2 !== undefined && certificates === 0 && http2.h2c !== true) {
      issues.push({ path: 'edge.http2', message: 'applies to the TLS listener (it needs a certificate) or, with h2c: true, to the plain one' });
    }
    if (cfg.edge.listen_tls !== undefined && certificates === 0) {
      issues.push({ path: 'edge.listen_tls', message: 'needs a certificate (edge.tls.certificates or edge.kong.certificates)' });
    }
  }
}

function cidrProblem(cidr: string): string | undefined {
  const [addr, bits] = cidr.split('/') as [string, string | undefined];
  const family = isIP(addr);
  if (family === 0) return `not a valid CIDR: "${addr}" is not an IP address`;
  if (bits !== undefined && Number(bits) > (family === 4 ? 32 : 128)) return `not a valid CIDR: prefix length /${bits} is too long for IPv${family}`;
  return undefined;
}

export function validateMeshgateConfig(doc: unknown): { config?: Config; issues: ConfigIssue[] } {
  if (!validateMeshgate(doc)) return { issues: collect(validateMeshgate.errors, []) };
  const issues: ConfigIssue[] = [];
  meshgateRules(doc as Config, issues);
  return issues.length ? { issues } : { config: doc as Config, issues };
}

export function validateKongDeclarative(doc: unknown): { config?: KongDecl; issues: ConfigIssue[] } {
  if (!validateKong(doc)) return { issues: collect(validateKong.errors, []) };
  const issues: ConfigIssue[] = [];
  kongRules(doc as KongDecl, [], issues);
  issues.push(...collectCertificates(doc as KongDecl, undefined, []).issues);
  return issues.length ? { issues } : { config: doc as KongDecl, issues };
}
