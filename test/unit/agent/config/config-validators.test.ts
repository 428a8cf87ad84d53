import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { KongDeclarative, MeshgateConfig } from '../../../../proto/config-schema.js';
import { CONFIG_AJV_OPTIONS, RULE_KEYWORD, configSchemaFingerprint } from '../../../../agent/config/schema-fingerprint.js';
import { configValidatorsSource } from '../../../../agent/config/validator-codegen.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..', '..', '..', '..');

/** documents with errors of every keyword the schemas use */
const MESHGATE_DOCS: unknown[] = [
  {}, { sidecar: { listen: 'x' } }, { agent: { node: 3, workers: 'many' }, nope: 1 }, { mesh: { tls: 'sometimes' } },
  { consul: { address: 'ftp://x' }, edge: { kong: { _format_version: '9.9' } } }, 'not an object',
];
const KONG_DOCS: unknown[] = [
  {}, { _format_version: '3.0', services: [{ name: 'bad name!', url: 'ftp://x', port: 0, routes: [{ paths: ['x'], protocols: ['ws'], methods: ['get'] }] }] },
  { _format_version: '3.0', upstreams: [{ name: 'u', targets: [{ target: 'h:99999', weight: -1 }], algorithm: 'random' }], workspaces: [] },
  { _format_version: '3.0', consumers: [{ username: '' }], plugins: [{ name: 'Key Auth', enabled: 'yes' }] },
];

function compiledNow(): { meshgate: ValidateFunction; kong: ValidateFunction } {
  const ajv = new Ajv(CONFIG_AJV_OPTIONS);
  ajv.addKeyword(RULE_KEYWORD);
  return { meshgate: ajv.compile(MeshgateConfig), kong: ajv.compile(KongDeclarative) };
}

/** the verdict and errors as JSON: the generated code's schemas are plain copies, without TypeBox's symbol keys */
function outcome(v: ValidateFunction, doc: unknown): unknown {
  const ok = v(structuredClone(doc));
  return JSON.parse(JSON.stringify({ ok, errors: v.errors }));
}

describe('config validators generated at build time', () => {
  const file = path.join(HERE, `generated-validators-${process.pid}.js`);
  let generated: { fingerprint: string; validateMeshgate: ValidateFunction; validateKong: ValidateFunction };
  before(async () => {
    fs.writeFileSync(file, configValidatorsSource());
    generated = await import(pathToFileURL(file).href);
  });
  after(() => fs.rmSync(file, { force: true }));

  it('carry the fingerprint of the schemas they were made from', () => {
    assert.equal(generated.fingerprint, configSchemaFingerprint());
  });

  it('answer every document as Ajv compiling the schemas at run time does, errors included', () => {
    const now = compiledNow();
    for (const doc of MESHGATE_DOCS) assert.deepEqual(outcome(generated.validateMeshgate, doc), outcome(now.meshgate, doc), JSON.stringify(doc));
    for (const doc of KONG_DOCS) assert.deepEqual(outcome(generated.validateKong, doc), outcome(now.kong, doc), JSON.stringify(doc));
    // the table has errors to compare
    assert.ok(KONG_DOCS.every((d) => !now.kong(d)));
  });

  it('after the build step, validating a config loads no part of Ajv but its runtime helpers', () => {
    execFileSync(process.execPath, [path.join(ROOT, 'deploy', 'setup', 'build-validators.mjs')]);
    const probe = `import('./dist/agent/config/validate.js').then(async (v) => {
      const { configValidators } = await import('./dist/agent/config/config-validators.js');
      const issues = v.validateMeshgateConfig({ sidecar: { listen: 'x' } }).issues.length;
      const ajv = Object.keys(require('node:module')._cache).filter((k) => k.includes('/node_modules/ajv/') && !k.includes('/ajv/dist/runtime/'));
      process.stdout.write(JSON.stringify({ precompiled: configValidators.precompiled, issues, ajv }));
    })`;
    const r = JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8' }));
    assert.equal(r.precompiled, true);
    assert.ok(r.issues > 0);
    assert.deepEqual(r.ajv, []);
  });
});
