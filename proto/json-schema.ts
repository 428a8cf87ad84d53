import { MeshgateConfig } from './config-schema.js';

/** The config schema as plain JSON Schema (draft 2020-12 compatible), for editors. */
export function configJsonSchema(): Record<string, unknown> {
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...JSON.parse(JSON.stringify(MeshgateConfig)) };
}
