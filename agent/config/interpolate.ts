import type { ConfigIssue } from './config-error.js';
import { formatPath } from './config-error.js';

// ${NAME}, ${NAME:-default}, and decK's ${{ env "DECK_NAME" }} — one pass, so a substituted value is never re-read
const VAR = /\$\{\{\s*env\s+"([^"]*)"\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE = /^(\$\{\{\s*env\s+"[^"]*"\s*\}\}|\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\})$/;
/** decK reads only variables prefixed DECK_, so a decK file cannot pull arbitrary secrets from the environment */
const DECK_PREFIX = 'DECK_';

/**
 * A value that is one placeholder and nothing else takes the type its text has in YAML when that
 * is a number or a boolean (`port: ${REDIS_PORT}` is a number); never a list or a mapping.
 */
function typed(text: string): string | number | boolean {
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/**
 * Replaces ${NAME}, ${NAME:-default} and decK's ${{ env "DECK_NAME" }} in every string value (never
 * in keys), so secrets can stay out of the file. Works on parsed values, so a value can never change the YAML structure.
 */
export function interpolateEnv(
  value: unknown, env: NodeJS.ProcessEnv, issues: ConfigIssue[], path: (string | number)[] = [],
): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const out = value.replace(VAR, (_m, deckName: string | undefined, plainName: string | undefined, fallback: string | undefined) => {
      if (deckName !== undefined && !deckName.startsWith(DECK_PREFIX)) {
        issues.push({ path: formatPath(path), message: `decK substitutes only environment variables prefixed ${DECK_PREFIX}; "${deckName}" is not` });
        return '';
      }
      const name = deckName ?? (plainName as string);
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      issues.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
      return '';
    });
    return WHOLE.test(value) ? typed(out) : out;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, issues, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolateEnv(v, env, issues, [...path, k]);
    return out;
  }
  return value;
}
