// Kong 3's request-transformer config: the five verbs over headers, querystring and body
// ("name:value" strings; remove takes bare names), replace.uri, and http_method.
import { Type, type Static } from '@sinclair/typebox';
import { HEADER_NAME, PAIR_PATTERN, splitPair } from './pairs.js';
import { Template, TemplateError } from './template.js';

const names = () => Type.Array(Type.String({ minLength: 1 }), { default: [] });
const pairs = () => Type.Array(Type.String({ pattern: PAIR_PATTERN }), { default: [] });
const strict = { additionalProperties: false, default: {} } as const;

export const RequestTransformerConfig = Type.Object({
  http_method: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]+$' }), Type.Null()])),
  remove: Type.Object({ headers: names(), querystring: names(), body: names() }, strict),
  rename: Type.Object({ headers: pairs(), querystring: pairs(), body: pairs() }, strict),
  replace: Type.Object({
    headers: pairs(), querystring: pairs(), body: pairs(),
    uri: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()])),
  }, strict),
  add: Type.Object({ headers: pairs(), querystring: pairs(), body: pairs() }, strict),
  append: Type.Object({ headers: pairs(), querystring: pairs(), body: pairs() }, strict),
}, { additionalProperties: false });

export type RequestTransformerConfig = Static<typeof RequestTransformerConfig>;

export const VERBS = ['remove', 'rename', 'replace', 'add', 'append'] as const;
export const TARGETS = ['headers', 'querystring', 'body'] as const;

/** Header names must be tokens; every template must be one meshgate evaluates. */
export function validateRequestTransformer(config: RequestTransformerConfig): { path: string; message: string }[] {
  const issues: { path: string; message: string }[] = [];
  const template = (path: string, text: string) => {
    try { Template.compile(text); } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      issues.push({ path, message: err.message });
    }
  };
  for (const verb of VERBS) {
    for (const target of TARGETS) {
      config[verb][target].forEach((entry, i) => {
        const path = `${verb}.${target}.${i}`;
        const { name, value } = verb === 'remove' ? { name: entry, value: '' } : splitPair(entry);
        if (target === 'headers' && (!HEADER_NAME.test(name) || (verb === 'rename' && !HEADER_NAME.test(value)))) {
          issues.push({ path, message: `'${entry}' is not a valid header name` });
        }
        if (verb !== 'remove' && verb !== 'rename') template(path, value);
      });
    }
  }
  if (config.replace.uri != null) template('replace.uri', config.replace.uri);
  return issues;
}
