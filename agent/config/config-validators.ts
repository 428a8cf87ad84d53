// The Ajv validators of the config schemas (MeshgateConfig, KongDeclarative). `npm run build`
// emits them as code (deploy/setup/build-validators.mjs), so a process that reads a config
// imports generated functions instead of loading Ajv's compiler and compiling the schemas at
// start: one-process edge 110 -> 100 MiB RSS with the config loader loaded (2 runs each,
// 2026-12-07 20:45 UTC), and far fewer short-lived objects for V8's map transitions
// (agent/startup-heap.ts). A build without that step (plain `tsc`), or a generated module whose
// fingerprint no longer matches the schemas, compiles them here with the same options: the same
// functions, the same errors.
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { KongDeclarative, MeshgateConfig } from '../../proto/config-schema.js';
import { CONFIG_AJV_OPTIONS, GENERATED_VALIDATORS_FILE, RULE_KEYWORD, configSchemaFingerprint } from './schema-fingerprint.js';

export interface ConfigValidators {
  readonly meshgate: ValidateFunction;
  readonly kong: ValidateFunction;
  /** true when they came from the build's generated module */
  readonly precompiled: boolean;
}

interface GeneratedModule { fingerprint?: unknown; validateMeshgate?: ValidateFunction; validateKong?: ValidateFunction }

async function precompiled(): Promise<ConfigValidators | null> {
  let g: GeneratedModule;
  try { g = await import(new URL(`./${GENERATED_VALIDATORS_FILE}`, import.meta.url).href) as GeneratedModule; } catch { return null; }
  if (g.fingerprint !== configSchemaFingerprint() || g.validateMeshgate === undefined || g.validateKong === undefined) return null;
  return { meshgate: g.validateMeshgate, kong: g.validateKong, precompiled: true };
}

function compiledNow(): ConfigValidators {
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  const ajv = new Ajv(CONFIG_AJV_OPTIONS);
  ajv.addKeyword(RULE_KEYWORD);
  return { meshgate: ajv.compile(MeshgateConfig), kong: ajv.compile(KongDeclarative), precompiled: false };
}

export const configValidators: ConfigValidators = (await precompiled()) ?? compiledNow();
