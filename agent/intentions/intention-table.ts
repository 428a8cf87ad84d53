// Consul's intention precedence, decided locally. Compiled once per change of Consul's
// intentions; a decision is at most four map lookups plus, for L7 intentions, the compiled
// permission matchers. Precedence (Consul docs, default namespace):
//   source exact, destination exact → 9;  source *, destination exact → 8;
//   source exact, destination *     → 6;  source *, destination *     → 5.
// The highest-precedence matching intention decides; at equal precedence (the same pair listed
// twice) deny wins. An L7 intention's first matching permission decides; a request no
// permission matches gets the default, as Consul documents for L7 intentions.
import type { IncomingHttpHeaders } from 'node:http';
import { compilePermission, type PermissionMatcher } from './l7-permissions.js';
import type { IntentionAction, IntentionRule } from './intention-rules.js';

export interface IntentionDecision {
  readonly allowed: boolean;
  readonly reason: string;
  /** Consul's intentions are not known yet (or the rules could not be read) */
  readonly unavailable?: boolean;
}

/**
 * What an L7 permission reads: the inbound request itself (node:http's IncomingMessage has this
 * shape), so the access phase builds nothing per request; only a path permission splits off the
 * query string, and only for pairs that have L7 intentions.
 */
export interface RequestFacts {
  readonly method?: string | undefined;
  /** path and query, as received */
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

interface CompiledIntention {
  readonly precedence: number;
  readonly label: string;
  readonly decide: (req: RequestFacts | undefined) => IntentionDecision | undefined;
}

export interface CompiledTable {
  decide(source: string, destination: string, req?: RequestFacts): IntentionDecision;
  readonly size: number;
  readonly problems: readonly string[];
}

const WILDCARD = '*';

export function precedenceOf(source: string, destination: string): number {
  if (destination !== WILDCARD) return source !== WILDCARD ? 9 : 8;
  return source !== WILDCARD ? 6 : 5;
}

function decisionFor(action: IntentionAction, reason: string): IntentionDecision {
  return Object.freeze({ allowed: action === 'allow', reason });
}

function compileRule(rule: IntentionRule, problems: string[]): CompiledIntention | undefined {
  const precedence = precedenceOf(rule.source, rule.destination);
  const label = `${rule.source} → ${rule.destination} (precedence ${precedence})`;
  if (rule.action !== undefined) {
    const d = decisionFor(rule.action, `${rule.action} intention ${label}`);
    return { precedence, label, decide: () => d };
  }
  const matchers: PermissionMatcher[] = [];
  for (const [i, p] of (rule.permissions ?? []).entries()) {
    const m = compilePermission(p);
    if (typeof m === 'string') { problems.push(`${label} permission ${i}: ${m}`); return undefined; }
    matchers.push(m);
  }
  const decisions = matchers.map((m, i) => decisionFor(m.action, `${m.action} intention ${label} permission ${i}`));
  return {
    precedence, label,
    decide: (req) => {
      // L7 permissions need HTTP facts; without them Consul treats an L7 intention as deny
      if (req === undefined) return decisionFor('deny', `L7 intention ${label} on non-HTTP traffic`);
      for (let i = 0; i < matchers.length; i++) if (matchers[i]!.matches(req)) return decisions[i];
      return undefined;
    },
  };
}

/** deny before allow within one (source, destination) key: Consul's tie rule */
function denyFirst(list: CompiledIntention[], rules: IntentionRule[]): CompiledIntention[] {
  const order = list.map((c, i) => ({ c, deny: rules[i]!.action === 'deny' ? 0 : 1 }));
  order.sort((a, b) => a.deny - b.deny);
  return order.map((o) => o.c);
}

export function compileIntentionTable(rules: readonly IntentionRule[], defaultAction: IntentionAction, inputProblems: readonly string[] = []): CompiledTable {
  const problems = [...inputProblems];
  const grouped = new Map<string, { compiled: CompiledIntention[]; rules: IntentionRule[] }>();
  for (const rule of rules) {
    const c = compileRule(rule, problems);
    if (c === undefined) continue;
    const key = `${rule.destination}\u0000${rule.source}`;
    let g = grouped.get(key);
    if (g === undefined) grouped.set(key, g = { compiled: [], rules: [] });
    g.compiled.push(c);
    g.rules.push(rule);
  }
  const byKey = new Map<string, readonly CompiledIntention[]>();
  for (const [key, g] of grouped) byKey.set(key, denyFirst(g.compiled, g.rules));
  const fallback = decisionFor(defaultAction, `default ${defaultAction}`);

  return Object.freeze({
    size: rules.length,
    problems: Object.freeze(problems),
    decide(source: string, destination: string, req?: RequestFacts): IntentionDecision {
      // highest precedence first: exact/exact, */exact, exact/*, */*
      for (const key of [`${destination}\u0000${source}`, `${destination}\u0000*`, `*\u0000${source}`, '*\u0000*']) {
        const list = byKey.get(key);
        if (list === undefined) continue;
        for (const c of list) {
          const d = c.decide(req);
          if (d !== undefined) return d;
        }
        // an intention matched the pair but none of its permissions matched the request
        return fallback;
      }
      return fallback;
    },
  });
}
