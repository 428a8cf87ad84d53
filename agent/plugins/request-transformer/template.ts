// Kong's request-transformer templates, compiled once: `$(headers.x)`, `$(headers["x-y"])`,
// `$(query_params.x)`, `$(uri_captures.x)`, `$(shared.x)`, a fallback `$(headers.x or "d")`
// and the escape `$('literal')`. Kong evaluates any Lua expression in sandbox; meshgate accepts
// only these forms and refuses the rest when the config is loaded. A missing value renders as
// "" (Penlight's `(expr or '')`).

export type TemplateSource = 'headers' | 'query_params' | 'uri_captures' | 'shared';

/** Where a template finds its values, for one request. */
export interface TemplateEnv {
  lookup(source: TemplateSource, key: string): string | undefined;
}

/** Applied to each looked-up value before it is inserted (e.g. percent-encoding for a path). */
export type ValueEscape = (value: string, source: TemplateSource) => string;

interface Reference {
  readonly source: TemplateSource;
  readonly key: string;
  readonly fallback: string;
}

type Part = string | Reference;

export class TemplateError extends Error {}

const QUOTED = String.raw`'([^']*)'|"([^"]*)"`;
const EXPRESSION = new RegExp(String.raw`^\s*(?:(headers|query_params|uri_captures|shared)\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:${QUOTED}|(\d+))\s*\])(?:\s+or\s+(?:${QUOTED}))?|(?:${QUOTED}))\s*$`);

function parseExpression(expr: string): Part {
  const m = EXPRESSION.exec(expr);
  if (m === null) throw new TemplateError(`unsupported template expression "$(${expr})": use headers, query_params, uri_captures or shared, e.g. $(headers["x-user"] or "none")`);
  if (m[1] === undefined) return m[8] ?? m[9] ?? '';
  const dotted = m[2];
  let key = dotted ?? m[3] ?? m[4] ?? m[5]!;
  // header lookups are case-insensitive, and Lua's dotted form cannot spell "-": x_user means x-user
  if (m[1] === 'headers') key = (dotted !== undefined ? key.replace(/_/g, '-') : key).toLowerCase();
  return { source: m[1] as TemplateSource, key, fallback: m[6] ?? m[7] ?? '' };
}

export class Template {
  readonly #parts: readonly Part[];
  /** the sources this template reads */
  readonly sources: ReadonlySet<TemplateSource>;

  private constructor(parts: Part[]) {
    this.#parts = parts;
    this.sources = new Set(parts.filter((p): p is Reference => typeof p !== 'string').map((p) => p.source));
  }

  /** Parses `text`; throws TemplateError on an expression meshgate does not evaluate. */
  static compile(text: string): Template {
    const parts: Part[] = [];
    let literal = '';
    let i = 0;
    while (i < text.length) {
      const start = text.indexOf('$(', i);
      if (start < 0) break;
      // Penlight matches balanced parentheses (%b()); an unbalanced "$(" stays literal text
      let depth = 0;
      let end = -1;
      for (let j = start + 1; j < text.length; j++) {
        if (text[j] === '(') depth++;
        else if (text[j] === ')' && --depth === 0) { end = j; break; }
      }
      if (end < 0) break;
      literal += text.slice(i, start);
      const part = parseExpression(text.slice(start + 2, end));
      if (typeof part === 'string') literal += part;
      else { if (literal !== '') parts.push(literal); literal = ''; parts.push(part); }
      i = end + 1;
    }
    literal += text.slice(i);
    if (literal !== '') parts.push(literal);
    return new Template(parts);
  }

  get isLiteral(): boolean {
    return this.sources.size === 0;
  }

  render(env: TemplateEnv, escape?: ValueEscape): string {
    let out = '';
    for (const p of this.#parts) {
      if (typeof p === 'string') { out += p; continue; }
      const v = env.lookup(p.source, p.key) ?? p.fallback;
      out += escape === undefined ? v : escape(v, p.source);
    }
    return out;
  }
}
