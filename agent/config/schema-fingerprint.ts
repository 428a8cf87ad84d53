// What the config schemas' validators are compiled from: Ajv's options and the schemas. A
// precompiled validator module (agent/config/validator-codegen.ts) carries this fingerprint, and
// is used only while it matches the schemas this build has.
import { createHash } from 'node:crypto';
import { KongDeclarative, MeshgateConfig } from '../../proto/config-schema.js';

export const CONFIG_AJV_OPTIONS = Object.freeze({ allErrors: true, strict: true, verbose: true });
/** `rule`: the sentence printed when a `pattern` fails (proto/schema-primitives.ts); no code */
export const RULE_KEYWORD = Object.freeze({ keyword: 'rule', schemaType: 'string' });
/** the generated module's file name, beside agent/config/config-validators.js in dist/ */
export const GENERATED_VALIDATORS_FILE = 'config-validators.generated.js';

export function configSchemaFingerprint(): string {
  return createHash('sha256').update(JSON.stringify({ CONFIG_AJV_OPTIONS, RULE_KEYWORD, MeshgateConfig, KongDeclarative })).digest('hex');
}
