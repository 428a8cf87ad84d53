// Paths of the repository the tests run against (found from dist/test/support/ upwards).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'bin', 'meshgate.js'))) return dir;
    dir = path.dirname(dir);
  }
  throw new Error('cannot find the meshgate repository root from the test files');
}

export const REPO = findRepoRoot();
export const MESHGATE_BIN = path.join(REPO, 'bin', 'meshgate.js');
export const SAMPLE_SERVICE = path.join(REPO, 'deploy', 'demo', 'sample-service.mjs');
