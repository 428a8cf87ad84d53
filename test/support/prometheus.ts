// Debian's prometheus and promtool for the tests, installed when missing (deploy/setup/install-packages.sh).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runBounded } from './proc.js';
import { REPO } from './repo.js';

function find(cmd: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/sbin']) {
    const p = path.join(dir, cmd);
    if (dir !== '' && existsSync(p)) return p;
  }
  return undefined;
}

export async function prometheusBinaries(): Promise<{ prometheus: string; promtool: string }> {
  let prometheus = find('prometheus');
  let promtool = find('promtool');
  if (prometheus === undefined || promtool === undefined) {
    const r = await runBounded('bash', [path.join(REPO, 'deploy/setup/install-packages.sh'), 'prometheus:prometheus', 'promtool:prometheus'], { timeoutMs: 600_000, cwd: REPO });
    prometheus = find('prometheus');
    promtool = find('promtool');
    if (prometheus === undefined || promtool === undefined) throw new Error(`prometheus is not installed and could not be installed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
  }
  return { prometheus, promtool };
}
