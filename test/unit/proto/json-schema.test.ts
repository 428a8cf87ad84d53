import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configJsonSchema } from '../../../proto/json-schema.js';

describe('proto/config.schema.json', () => {
  it('is the current export of the TypeBox schema (run deploy/setup/export-schema.mjs after changing it)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../../../proto/config.schema.json', import.meta.url), 'utf8'));
    assert.deepEqual(committed, configJsonSchema());
  });
});
