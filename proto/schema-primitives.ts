// Schema building blocks shared by the config sections (config-schema.ts, listener-schema.ts, tracing-schema.ts).
import { Type } from '@sinclair/typebox';

/** `rule` is the sentence printed when a `pattern` fails; Ajv's own text is about regexes. */
export const Str = (pattern: string, rule: string, extra: object = {}) => Type.String({ pattern, rule, ...extra });
export const Strict = { additionalProperties: false } as const;
export const Duration = Str('^[0-9]+(ms|s|m|h)$', 'must be a duration like 500ms, 10s, 1m or 2h');
export const HttpUrl = Str('^https?://[^\\s/]+(/.*)?$', 'must be an http:// or https:// URL');

/** Kong's entity ids (typedefs.uuid): any-version UUID, either case. */
export const KongId = Str('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', 'expected a valid UUID');
/** Kong's tag rule (typedefs.tag): printable, no "," or "/" (the Admin API's tag-filter separators), UTF-8 allowed. */
export const KongTag = Str('^[^\\x00-\\x1f\\x7f,/]+$', 'invalid tag: expected printable ascii (except `,` and `/`) or valid utf-8 sequences');
export const KongTags = Type.Array(KongTag);
