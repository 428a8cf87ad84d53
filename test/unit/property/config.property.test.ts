// Property tests (fast-check, bounded runs) of config decoding (agent/config/load.ts): any input is a
// valid config or a ConfigError whose every issue names a YAML path and a rule; never another throw.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../../agent/config/config-error.js';
import { parseConfig } from '../../../agent/config/load.js';

const BASE = {
  consul: { address: 'http://127.0.0.1:8500' },
  agent: { node: 'n1', admin: '127.0.0.1:9901', log_level: 'info' },
  edge: {
    listen: '127.0.0.1:8000',
    limits: { header_timeout: '10s', max_connections: 100 },
    http: { headers_with_underscores: 'drop', merge_slashes: true, escaped_slashes: 'reject' },
    kong: {
      _format_version: '3.0',
      services: [{
        name: 's', url: 'http://127.0.0.1:9000', retries: 2,
        routes: [{ name: 'r', paths: ['/a'], methods: ['GET'], strip_path: true, plugins: [{ name: 'rate-limiting', config: { minute: 5 } }] }],
      }],
      consumers: [{ username: 'u', keyauth_credentials: [{ key: 'k' }] }],
    },
  },
};

/** every path to a value in BASE, as segments */
function leafPaths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return [at];
  const entries = Array.isArray(v) ? v.map((x, i) => [i, x] as const) : Object.entries(v);
  return [at, ...entries.flatMap(([k, x]) => leafPaths(x, [...at, k]))];
}
const PATHS = leafPaths(BASE).filter((p) => p.length > 0);

function replaced(doc: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

/** parses; returns the ConfigError's issues, [] for a valid config, and fails on any other throw */
function decode(text: string): readonly { path: string; message: string }[] {
  try {
    parseConfig(text, 'fuzz.yaml', {});
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw new Error(`not a ConfigError: ${(err as Error)?.stack ?? String(err)}\n${text}`);
    assert.ok(err.issues.length > 0, 'a ConfigError lists its issues');
    for (const i of err.issues) assert.ok(typeof i.path === 'string' && i.message.length > 0, JSON.stringify(i));
    return err.issues;
  }
}

describe('config decoding (properties)', () => {
  it('the base config is valid', () => assert.deepEqual(decode(JSON.stringify(BASE)), []));

  it('any value at any place of a valid config: valid, or errors naming a path inside the document', () => {
    fc.assert(fc.property(fc.constantFrom(...PATHS), fc.jsonValue({ maxDepth: 2 }), (path, value) => {
      const issues = decode(JSON.stringify(replaced(BASE, path, value)));
      for (const i of issues) assert.notEqual(i.path, '', `a change at ${path.join('.')} is reported at a path: ${JSON.stringify(i)}`);
    }), { numRuns: 200 });
  });

  it('any document: a config or a ConfigError, never a crash', () => {
    const doc = fc.dictionary(fc.constantFrom('consul', 'agent', 'edge', 'sidecar', 'mesh', '_format_version', 'services', 'x'), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });
    fc.assert(fc.property(doc, (d) => { decode(JSON.stringify(d)); }), { numRuns: 200 });
  });

  it('any text (YAML punctuation, anchors, tags, interpolation): a config or a ConfigError, never a crash', () => {
    const piece = fc.constantFrom('a', ':', ': ', '\n', '  ', '- ', '[', ']', '{', '}', ',', '&x ', '*x', '!!str ', '!!binary ', '"', "'", '#', '${A}', '${', 'edge', 'consul', '1', 'null', '~', '? ', '|', '>', '---\n', '%YAML 1.2\n');
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (parts) => { decode(parts.join('')); }), { numRuns: 300 });
  });
});
