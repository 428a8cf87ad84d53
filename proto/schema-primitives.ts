// Schema building blocks shared by the config sections (config-schema.ts, listener-schema.ts, tracing-schema.ts).
import { Type } from '@sinclair/typebox';

/** `rule` is the sentence printed when a `pattern` fails; Ajv's own text is about regexes. */
export const Str = (pattern: string, rule: string, extra: object = {}) => Type.String({ pattern, rule, ...extra });
export const Strict = { additionalProperties: false } as const;
export const Duration = Str('^[0-9]+(ms|s|m|h)$', 'must be a duration like 500ms, 10s, 1m or 2h');
export const HttpUrl = Str('^https?://[^\\s/]+(/.*)?$', 'must be an http:// or https:// URL');
