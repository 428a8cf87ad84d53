// One L7 intention permission compiled into a predicate over (method, path, headers). Regexes
// are compiled here, once per intentions change, and anchored: Envoy (and so Consul) matches a
// PathRegex or header Regex against the whole value.
import type { IntentionAction, HeaderPermission, Permission } from './intention-rules.js';
import type { RequestFacts } from './intention-table.js';

export interface PermissionMatcher {
  readonly action: IntentionAction;
  matches(req: RequestFacts): boolean;
}

type Test = (req: RequestFacts) => boolean;

function anchored(source: string): RegExp | string {
  try { return new RegExp(`^(?:${source})$`); } catch (err) { return `invalid regex ${JSON.stringify(source)}: ${(err as Error).message}`; }
}

/** the path without the query string */
function pathOf(req: RequestFacts): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function headerValue(req: RequestFacts, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function compileHeader(h: HeaderPermission): Test | string {
  let test: (v: string | undefined) => boolean;
  if (h.exact !== undefined) { const e = h.exact; test = (v) => v === e; }
  else if (h.prefix !== undefined) { const p = h.prefix; test = (v) => v !== undefined && v.startsWith(p); }
  else if (h.suffix !== undefined) { const s = h.suffix; test = (v) => v !== undefined && v.endsWith(s); }
  else if (h.regex !== undefined) {
    const re = anchored(h.regex);
    if (typeof re === 'string') return `header ${h.name}: ${re}`;
    test = (v) => v !== undefined && re.test(v);
  } else test = (v) => v !== undefined; // Present (or nothing else given)
  const name = h.name;
  return h.invert ? (req) => !test(headerValue(req, name)) : (req) => test(headerValue(req, name));
}

export function compilePermission(p: Permission): PermissionMatcher | string {
  const tests: Test[] = [];
  const { http } = p;
  if (http.pathExact !== undefined) { const e = http.pathExact; tests.push((r) => pathOf(r) === e); }
  if (http.pathPrefix !== undefined) { const pre = http.pathPrefix; tests.push((r) => pathOf(r).startsWith(pre)); }
  if (http.pathRegex !== undefined) {
    const re = anchored(http.pathRegex);
    if (typeof re === 'string') return `PathRegex: ${re}`;
    tests.push((r) => re.test(pathOf(r)));
  }
  if (http.methods !== undefined) { const set = new Set(http.methods); tests.push((r) => set.has(r.method ?? 'GET')); }
  for (const h of http.headers ?? []) {
    const t = compileHeader(h);
    if (typeof t === 'string') return t;
    tests.push(t);
  }
  return { action: p.action, matches: (req) => tests.every((t) => t(req)) };
}
