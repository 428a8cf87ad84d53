// YAML file → validated config. A plain Kong decK file (top-level _format_version) is an edge
// config with Kong's default ports.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isMap, isNode, isScalar, type Document } from 'yaml';
import type { KongDeclarative, MeshgateConfig } from '../../proto/config-schema.js';
import { DECK_ONLY_DEFAULTS } from '../../proto/defaults.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { interpolateEnv } from './interpolate.js';
import { validateKongDeclarative, validateMeshgateConfig } from './validate.js';

export interface LoadedConfig {
  readonly config: MeshgateConfig;
  /** the file was a plain Kong decK file, so Kong's default ports apply */
  readonly deckOnly: boolean;
}

function lineOf(doc: Document, lines: LineCounter, path: string): number | undefined {
  const segments: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) segments.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  // a mapping key is reported at the key, not at its value (which may start on the next line)
  const last = segments[segments.length - 1];
  if (typeof last === 'string') {
    const parent = doc.getIn(segments.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
      if (pair && isNode(pair.key) && pair.key.range) return lines.linePos(pair.key.range[0]).line;
    }
  }
  // else the deepest existing node names the line: a missing key points at its parent
  for (let n = segments.length; n >= 0; n--) {
    const node = doc.getIn(segments.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Parses and validates config text; throws ConfigError listing every problem. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(file, doc.errors.map((e) => ({
      path: '', message: `YAML: ${e.message.split('\n')[0]}`, line: e.linePos?.[0].line,
    })));
  }
  const issues: ConfigIssue[] = [];
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // an alias to no anchor, or an alias bomb past maxAliasCount: the yaml library throws here, not in errors
    throw new ConfigError(file, [{ path: '', message: `YAML: ${(err as Error).message.split('\n')[0]}` }]);
  }
  const raw = interpolateEnv(js, env, issues);
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '', message: 'must be a YAML mapping' }]);
  }
  const deckOnly = '_format_version' in raw;
  let config: MeshgateConfig | undefined;
  if (!issues.length) {
    if (deckOnly) {
      const r = validateKongDeclarative(raw);
      issues.push(...r.issues);
      if (r.config) config = deckAsEdge(r.config);
    } else {
      const r = validateMeshgateConfig(raw);
      issues.push(...r.issues);
      config = r.config;
    }
  }
  if (issues.length || !config) {
    throw new ConfigError(file, issues.map((i) => ({ ...i, line: i.line ?? lineOf(doc, lines, i.path) })));
  }
  return { config: deepFreeze(config), deckOnly };
}

export async function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  return parseConfig(text, file, env);
}

function deckAsEdge(kong: KongDeclarative): MeshgateConfig {
  return {
    agent: { admin: DECK_ONLY_DEFAULTS.admin },
    edge: {
      listen: DECK_ONLY_DEFAULTS.listen, via_sidecars: false, kong,
      ...(kong.certificates?.length ? { listen_tls: DECK_ONLY_DEFAULTS.listen_tls } : {}),
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
