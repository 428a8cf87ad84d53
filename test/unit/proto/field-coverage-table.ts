// The README's per-field Kong compatibility table, rendered from the field-coverage lists so the two
// cannot disagree (field-coverage.test.ts compares them).
import { FIELD_TESTS, NOT_YET_MAPPED, OWNED_ELSEWHERE } from './field-coverage.js';

export const TABLE_START = '<!-- kong-field-table:start (generated from test/unit/proto/field-coverage.ts) -->';
export const TABLE_END = '<!-- kong-field-table:end -->';

function status(field: string): string {
  const test = FIELD_TESTS[field];
  if (test !== undefined) return test.startsWith('refuses') ? `refused or restricted ("not supported"); test: ${test}` : `supported; test: ${test}`;
  const owner = OWNED_ELSEWHERE[field];
  if (owner !== undefined) return `accepted; Kong behaviour pending (work of "${owner}")`;
  return 'accepted; not yet tied to a named behaviour test';
}

/** Kong fields only: `edge.kong.` is dropped, since a plain decK file is the same mapping. */
export function renderKongFieldTable(fields: readonly string[]): string {
  const kong = fields.filter((f) => f.startsWith('edge.kong.') || f.startsWith('plugins[].')).sort();
  const rows = kong.map((f) => `| \`${f.replace(/^edge\.kong\./, '')}\` | ${status(f).replace(/\|/g, '\\|')} |`);
  return [TABLE_START, '| field | meshgate |', '|---|---|', ...rows, TABLE_END].join('\n');
}

export { NOT_YET_MAPPED };
