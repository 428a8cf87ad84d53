#!/usr/bin/env node
// Writes proto/config.schema.json (for editors: yaml-language-server, VS Code) from the
// TypeBox schema in proto/config-schema.ts. Run after `npm run build`; a unit test checks the
// committed file is current.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../../dist/proto/json-schema.js';

const out = fileURLToPath(new URL('../../proto/config.schema.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${out}\n`);
