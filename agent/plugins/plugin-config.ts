// Plugin entries from the decK document → validated, defaulted configs with their scope.
// Each plugin's `config` is checked against that plugin's own schema; errors name the YAML path.
import { Ajv, type ValidateFunction } from 'ajv';
import type { KongDeclarative, KongPlugin } from '../../proto/config-schema.js';
import type { ConfigIssue } from '../config/config-error.js';
import { formatPath } from '../config/config-error.js';
import type { PluginFactory } from './plugin.js';
import { PLUGINS } from './registry.js';

export interface PluginScope {
  readonly service?: string;
  readonly route?: string;
  readonly consumer?: string;
}

export interface ResolvedPlugin {
  readonly factory: PluginFactory<any>;
  readonly config: Record<string, unknown>;
  readonly scope: PluginScope;
  /** YAML path of the entry, for messages */
  readonly path: string;
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
const validators = new Map<string, ValidateFunction>();

function validatorFor(f: PluginFactory<any>): ValidateFunction {
  let v = validators.get(f.name);
  if (v === undefined) { v = ajv.compile(f.configSchema); validators.set(f.name, v); }
  return v;
}

function refName(ref: KongPlugin['service'] | KongPlugin['route']): string | undefined {
  if (ref === undefined) return undefined;
  return typeof ref === 'string' ? ref : (ref.name ?? ref.id);
}

function consumerRef(ref: KongPlugin['consumer']): string | undefined {
  if (ref === undefined) return undefined;
  return typeof ref === 'string' ? ref : (ref.username ?? ref.id);
}

/** Every plugin entry of the document with its scope and path (disabled ones left out). */
function collect(kong: KongDeclarative, prefix: (string | number)[]): { entry: KongPlugin; scope: PluginScope; at: (string | number)[] }[] {
  const out: { entry: KongPlugin; scope: PluginScope; at: (string | number)[] }[] = [];
  kong.plugins?.forEach((entry, i) => out.push({
    entry, at: [...prefix, 'plugins', i],
    scope: { service: refName(entry.service), route: refName(entry.route), consumer: consumerRef(entry.consumer) },
  }));
  kong.services?.forEach((s, i) => {
    s.plugins?.forEach((entry, j) => out.push({ entry, at: [...prefix, 'services', i, 'plugins', j], scope: { service: s.name, consumer: consumerRef(entry.consumer) } }));
    s.routes?.forEach((r, j) => r.plugins?.forEach((entry, k) => out.push({
      entry, at: [...prefix, 'services', i, 'routes', j, 'plugins', k],
      scope: { route: r.name ?? `${s.name}.routes[${j}]`, consumer: consumerRef(entry.consumer) },
    })));
  });
  kong.consumers?.forEach((c, i) => c.plugins?.forEach((entry, j) => out.push({
    entry, at: [...prefix, 'consumers', i, 'plugins', j], scope: { consumer: c.username ?? c.id ?? c.custom_id },
  })));
  return out;
}

export interface PluginResolution {
  readonly plugins: ResolvedPlugin[];
  readonly issues: ConfigIssue[];
  readonly warnings: ConfigIssue[];
}

export function resolvePlugins(kong: KongDeclarative, prefix: (string | number)[], opts: { allowUnknown?: boolean } = {}): PluginResolution {
  const plugins: ResolvedPlugin[] = [];
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const routeNames = new Set((kong.services ?? []).flatMap((s) => (s.routes ?? []).map((r, j) => r.name ?? `${s.name}.routes[${j}]`)));
  const serviceNames = new Set((kong.services ?? []).map((s) => s.name));
  const consumerNames = new Set((kong.consumers ?? []).flatMap((c) => [c.username, c.id, c.custom_id].filter((x): x is string => x !== undefined)));
  for (const { entry, scope, at } of collect(kong, prefix)) {
    const path = formatPath(at);
    const factory = PLUGINS.get(entry.name);
    if (factory === undefined) {
      const issue = { path: formatPath([...at, 'name']), message: `unknown plugin "${entry.name}"` };
      (opts.allowUnknown ? warnings : issues).push(opts.allowUnknown ? { ...issue, message: `${issue.message} (ignored)` } : issue);
      continue;
    }
    if (scope.service !== undefined && !serviceNames.has(scope.service)) issues.push({ path: formatPath([...at, 'service']), message: `no service named "${scope.service}"` });
    if (scope.route !== undefined && !routeNames.has(scope.route)) issues.push({ path: formatPath([...at, 'route']), message: `no route named "${scope.route}"` });
    if (scope.consumer !== undefined && !consumerNames.has(scope.consumer)) issues.push({ path: formatPath([...at, 'consumer']), message: `no consumer "${scope.consumer}"` });
    if (factory.agentWide === true) {
      const scoped = (['service', 'route', 'consumer'] as const).find((k) => scope[k] !== undefined);
      if (scoped !== undefined) {
        issues.push({ path: entry[scoped] !== undefined ? formatPath([...at, scoped]) : path, message: `the ${factory.name} plugin applies to the whole agent in meshgate: only a global entry (top-level plugins, no service/route/consumer) is supported` });
        continue;
      }
    }
    const config = structuredClone(entry.config ?? {}) as Record<string, unknown>;
    const validate = validatorFor(factory);
    if (!validate(config)) {
      for (const e of validate.errors ?? []) {
        const sub = e.instancePath.slice(1).split('/').filter(Boolean).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
        const key = e.keyword === 'additionalProperties' ? [String(e.params.additionalProperty)] : e.keyword === 'required' ? [String(e.params.missingProperty)] : [];
        const message = e.keyword === 'additionalProperties' ? 'unknown field' : e.keyword === 'required' ? 'is required' : (e.message ?? e.keyword);
        issues.push({ path: formatPath([...at, 'config', ...sub, ...key]), message });
      }
      continue;
    }
    for (const extra of factory.validate?.(config) ?? []) {
      issues.push({ path: `${formatPath([...at, 'config'])}${extra.path ? `.${extra.path}` : ''}`, message: extra.message });
    }
    if (entry.enabled === false) continue;
    plugins.push({ factory, config, scope, path });
  }
  return { plugins, issues, warnings };
}
