// Kong 3's response-transformer config: the five verbs over response headers and the top-level
// keys of a JSON body, with json_types giving each json entry's type (string by default).
import { Type, type Static } from '@sinclair/typebox';
import { HEADER_NAME, PAIR_PATTERN, splitPair } from '../request-transformer/pairs.js';

const names = () => Type.Array(Type.String({ minLength: 1 }), { default: [] });
const pairs = () => Type.Array(Type.String({ pattern: PAIR_PATTERN }), { default: [] });
const jsonTypes = () => Type.Array(Type.Union([Type.Literal('string'), Type.Literal('boolean'), Type.Literal('number')]), { default: [] });
const strict = { additionalProperties: false, default: {} } as const;

export const ResponseTransformerConfig = Type.Object({
  remove: Type.Object({ headers: names(), json: names() }, strict),
  rename: Type.Object({ headers: pairs(), json: pairs() }, strict),
  replace: Type.Object({ headers: pairs(), json: pairs(), json_types: jsonTypes() }, strict),
  add: Type.Object({ headers: pairs(), json: pairs(), json_types: jsonTypes() }, strict),
  append: Type.Object({ headers: pairs(), json: pairs(), json_types: jsonTypes() }, strict),
}, { additionalProperties: false });

export type ResponseTransformerConfig = Static<typeof ResponseTransformerConfig>;

export type JsonType = 'string' | 'boolean' | 'number';

export function validateResponseTransformer(config: ResponseTransformerConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  for (const verb of ['remove', 'rename', 'replace', 'add', 'append'] as const) {
    config[verb].headers.forEach((entry, i) => {
      const { name, value } = verb === 'remove' ? { name: entry, value: '' } : splitPair(entry);
      if (!HEADER_NAME.test(name) || (verb === 'rename' && !HEADER_NAME.test(value))) {
        issues.push({ path: `${verb}.headers.${i}`, message: `'${entry}' is not a valid header name` });
      }
    });
  }
  for (const verb of ['replace', 'add', 'append'] as const) {
    const { json, json_types: types } = config[verb];
    if (types.length > json.length) issues.push({ path: `${verb}.json_types`, message: `has ${types.length} entries for ${json.length} json entries` });
  }
  return issues;
}
