import assert from 'node:assert/strict';
import { parseConfig } from '../../../agent/config/load.js';
import { ConfigError } from '../../../agent/config/config-error.js';
import { KongDeclarative, MeshgateConfig, schemas, UNSUPPORTED_KONG_ENTITIES } from '../../../proto/config-schema.js';

describe('config schema', () => {
  it('exports both documents, closed to unknown keys', () => {
    assert.equal(schemas.MeshgateConfig, MeshgateConfig);
    assert.equal(schemas.KongDeclarative, KongDeclarative);
    assert.equal((MeshgateConfig as { additionalProperties?: boolean }).additionalProperties, false);
    assert.equal((KongDeclarative as { additionalProperties?: boolean }).additionalProperties, false);
    assert.deepEqual(KongDeclarative.required, ['_format_version']);
  });

  for (const [entity, why] of Object.entries(UNSUPPORTED_KONG_ENTITIES)) {
    it(`a decK file with top-level "${entity}" is refused with: ${why}`, () => {
      const text = `_format_version: "3.0"\n${entity}: []\n`;
      assert.throws(() => parseConfig(text, 'kong.yaml', {}), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.issues.map((i) => [i.path, i.message]), [[entity, why]]);
        assert.equal(err.issues[0]!.line, 2);
        return true;
      });
    });
  }

  const DURATIONS: readonly [string, boolean][] = [['500ms', true], ['10s', true], ['1m', true], ['2h', true], ['1d', false], ['10', false], ['1.5s', false]];
  for (const [d, ok] of DURATIONS) {
    it(`drain_timeout "${d}" is ${ok ? 'accepted' : 'refused'}`, () => {
      const text = `agent:\n  drain_timeout: "${d}"\nedge:\n  kong:\n    _format_version: "3.0"\n`;
      if (ok) parseConfig(text, 'x.yaml', {});
      else assert.throws(() => parseConfig(text, 'x.yaml', {}), ConfigError);
    });
  }

  const HOSTPORTS: readonly [string, boolean][] = [
    ['127.0.0.1:8080', true], ['[::1]:8080', true], ['my_host.local:1', true], ['localhost', false], [':8080', false],
    ['::1:8080', false], ['host:123456', false], ['host name:80', false],
  ];
  for (const [hp, ok] of HOSTPORTS) {
    it(`HOST:PORT "${hp}" is ${ok ? 'accepted' : 'refused'}`, () => {
      const text = `edge:\n  listen: "${hp}"\n  kong:\n    _format_version: "3.0"\n`;
      if (ok) parseConfig(text, 'x.yaml', {});
      else assert.throws(() => parseConfig(text, 'x.yaml', {}), ConfigError);
    });
  }
});
