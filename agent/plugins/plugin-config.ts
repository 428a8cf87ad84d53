// Plugin entries from the decK document → validated, defaulted configs with their scope.
// Each plugin's `config` is checked against that plugin's own schema; errors name the YAML path.
import { createRequire } from 'node:module';
import type { Ajv as AjvType, ValidateFunction } from 'ajv';
import type { KongDeclarative, KongPlugin } from '../../proto/config-schema.js';
import type { ConfigIssue } from '../config/config-error.js';
import { formatPath } from '../config/config-error.js';
import type { PluginFactory } from './plugin.js';
import { PLUGINS } from './registry.js';
import { consumerIdOf } from './consumers.js';

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

// Ajv is required when a config first has a plugin entry: a process whose config has none (a
// plain edge's workers among them) does not load it.
let ajv: AjvType | null = null;
const validators = new Map<string, ValidateFunction>();

function validatorFor(f: PluginFactory<any>): ValidateFunction {
  let v = validators.get(f.name);
  if (v === undefined) {
    if (ajv === null) {
      const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
      ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
    }
    v = ajv.compile(f.configSchema);
    validators.set(f.name, v);
  }
  return v;
}

type Ref = KongPlugin['service'] | KongPlugin['route'] | KongPlugin['consumer'];

/** A reference as written: a string (name or id, as decK takes it) or {name|username, id}. */
function refText(ref: Ref): string | undefined {
  if (ref === undefined) return undefined;
  if (typeof ref === 'string') return ref;
  return ('username' in ref ? ref.username : 'name' in ref ? ref.name : undefined) ?? ref.id;
}

/** Kong references resolve by name or id; scopes hold the canonical key (route/service name, consumer id). */
interface KongRefs {
  readonly services: ReadonlyMap<string, string>;
  readonly routes: ReadonlyMap<string, string>;
  readonly consumers: ReadonlyMap<string, string>;
}

function kongRefs(kong: KongDeclarative): KongRefs {
  const services = new Map<string, string>();
  const routes = new Map<string, string>();
  const consumers = new Map<string, string>();
  for (const s of kong.services ?? []) {
    services.set(s.name, s.name);
    if (s.id !== undefined) services.set(s.id, s.name);
    s.routes?.forEach((r, j) => {
      const name = r.name ?? `${s.name}.routes[${j}]`;
      routes.set(name, name);
      if (r.id !== undefined) routes.set(r.id, name);
    });
  }
  for (const c of kong.consumers ?? []) {
    const id = consumerIdOf(c);
    consumers.set(id, id);
    if (c.username !== undefined) consumers.set(c.username, id);
  }
  return { services, routes, consumers };
}

interface Collected { entry: KongPlugin; scope: PluginScope; at: (string | number)[] }

/** Every plugin entry of the document with its scope and path (disabled ones included; resolvePlugins leaves them out). */
function collect(kong: KongDeclarative, prefix: (string | number)[], refs: KongRefs, issues: ConfigIssue[]): Collected[] {
  const out: Collected[] = [];
  const resolve = (entry: KongPlugin, at: (string | number)[], kind: 'service' | 'route' | 'consumer', table: ReadonlyMap<string, string>): string | undefined => {
    const text = refText(entry[kind]);
    if (text === undefined) return undefined;
    const key = table.get(text);
    if (key === undefined) issues.push({ path: formatPath([...at, kind]), message: kind === 'consumer' ? `no consumer "${text}" (by username or id)` : `no ${kind} named "${text}" (by name or id)` });
    return key ?? text;
  };
  const consumer = (entry: KongPlugin, at: (string | number)[]) => resolve(entry, at, 'consumer', refs.consumers);
  kong.plugins?.forEach((entry, i) => {
    const at = [...prefix, 'plugins', i];
    out.push({ entry, at, scope: { service: resolve(entry, at, 'service', refs.services), route: resolve(entry, at, 'route', refs.routes), consumer: consumer(entry, at) } });
  });
  kong.services?.forEach((s, i) => {
    s.plugins?.forEach((entry, j) => { const at = [...prefix, 'services', i, 'plugins', j]; out.push({ entry, at, scope: { service: s.name, consumer: consumer(entry, at) } }); });
    s.routes?.forEach((r, j) => r.plugins?.forEach((entry, k) => {
      const at = [...prefix, 'services', i, 'routes', j, 'plugins', k];
      out.push({ entry, at, scope: { route: r.name ?? `${s.name}.routes[${j}]`, consumer: consumer(entry, at) } });
    }));
  });
  kong.consumers?.forEach((c, i) => c.plugins?.forEach((entry, j) => out.push({
    entry, at: [...prefix, 'consumers', i, 'plugins', j], scope: { consumer: consumerIdOf(c) },
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
  for (const { entry, scope, at } of collect(kong, prefix, kongRefs(kong), issues)) {
    const path = formatPath(at);
    const factory = PLUGINS.get(entry.name);
    if (factory === undefined) {
      const issue = { path: formatPath([...at, 'name']), message: `unknown plugin "${entry.name}"` };
      (opts.allowUnknown ? warnings : issues).push(opts.allowUnknown ? { ...issue, message: `${issue.message} (ignored)` } : issue);
      continue;
    }
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
