import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseConfig } from '../../../agent/config/load.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

describe('deploy/compose', () => {
  it('every agent config of the compose demo is valid', () => {
    const dir = `${REPO}deploy/compose/`;
    const files = readdirSync(dir).filter((f) => f.endsWith('.yml'));
    assert.ok(files.length >= 3);
    for (const f of files) parseConfig(readFileSync(dir + f, 'utf8'), f, { SERVICE_ID: 'users-1', HOSTNAME: 'abc123' });
  });

  it('docker-compose.yml mounts only configs that exist, and every sidecar shares its instance\'s network', () => {
    const compose = parse(readFileSync(`${REPO}docker-compose.yml`, 'utf8')) as { services: Record<string, { volumes?: string[]; network_mode?: string }> };
    const names = Object.keys(compose.services);
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) readFileSync(`${REPO}${v.split(':')[0]!.replace(/^\.\//, '')}`);
      if (name.endsWith('-sidecar')) assert.equal(svc.network_mode, `service:${name.replace(/-sidecar$/, '')}`);
    }
    assert.ok(names.includes('consul') && names.includes('edge'));
  });
});
