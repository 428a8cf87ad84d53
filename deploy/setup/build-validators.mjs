#!/usr/bin/env node
// Part of `npm run build` (after tsc): writes the config schemas' validators as code into
// dist/agent/config/ (agent/config/validator-codegen.ts; used by agent/config/config-validators.ts).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_VALIDATORS_FILE } from '../../dist/agent/config/schema-fingerprint.js';
import { configValidatorsSource } from '../../dist/agent/config/validator-codegen.js';

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'agent', 'config', GENERATED_VALIDATORS_FILE);
const tmp = `${out}.${process.pid}.tmp`;
fs.writeFileSync(tmp, configValidatorsSource());
fs.renameSync(tmp, out);
