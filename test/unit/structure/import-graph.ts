// Reading the relative imports of the TypeScript sources into a graph, and finding its cycles.
import fs from 'node:fs';
import path from 'node:path';

export type Graph = Map<string, Set<string>>;

// `import type` / `export type` statements are left out: they vanish from the compiled code
const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?!type\s)[^;]*?from\s*'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;

/** repo-relative .ts file → the repo-relative .ts files it imports at run time */
export function importGraph(repo: string, roots: readonly string[]): Graph {
  const graph: Graph = new Map();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(repo, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) graph.set(rel, importsOf(repo, rel));
    }
  };
  for (const r of roots) walk(r);
  return graph;
}

function importsOf(repo: string, file: string): Set<string> {
  const src = fs.readFileSync(path.join(repo, file), 'utf8');
  const out = new Set<string>();
  for (const m of src.matchAll(IMPORT)) {
    const spec = (m[1] ?? m[2])!.replace(/\.js$/, '.ts');
    out.add(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
  }
  return out;
}

/** The graph between groups of files (an edge inside one group is dropped). */
export function groupGraph(files: Graph, groupOf: (file: string) => string): Graph {
  const g: Graph = new Map();
  for (const [f, deps] of files) {
    const a = groupOf(f);
    if (!g.has(a)) g.set(a, new Set());
    for (const d of deps) { const b = groupOf(d); if (b !== a) g.get(a)!.add(b); }
  }
  return g;
}

/** Each cycle found by a depth-first walk, as "a -> b -> a". */
export function findCycles(g: Graph): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of g.get(n) ?? []) {
      if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m].join(' -> '));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return cycles;
}
