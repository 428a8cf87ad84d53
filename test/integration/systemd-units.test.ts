// deploy/systemd/*: every unit passes `systemd-analyze verify` with no complaint at all (it exits 0
// on unknown keys, so any output fails), and carries the hardening we promise. A deliberately broken
// copy must be complained about, so the check cannot pass without systemd-analyze really parsing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const UNITS = path.join(REPO, 'deploy/systemd');
const INSTALLED_BIN = '/usr/local/bin/meshgate';

function systemdAnalyze(): string {
  const found = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  spawnSync('bash', [path.join(REPO, 'deploy/setup/install-packages.sh'), 'systemd-analyze:systemd'], { stdio: 'inherit' });
  const again = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();
  if (!again) throw new Error('systemd-analyze is missing and could not be installed (Debian package "systemd"): the units cannot be verified');
  return again;
}

/** verify in a scratch dir, ExecStart pointed at this checkout's bin (verify checks it is executable) */
function verify(units: Record<string, string>, instance: (name: string) => string = (n) => n): { status: number | null; output: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'meshgate-units-'));
  try {
    for (const [name, text] of Object.entries(units)) writeFileSync(path.join(dir, name), text.replaceAll(INSTALLED_BIN, path.join(REPO, 'bin/meshgate.js')));
    const r = spawnSync(systemdAnalyze(), ['verify', ...Object.keys(units).map((n) => path.join(dir, instance(n)))], { encoding: 'utf8' });
    if (r.error) throw r.error;
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

const unitFiles = ['meshgate-edge.service', 'meshgate-sidecar@.service'];
const asInstance = (n: string) => n.replace('@.service', '@users-1.service');

describe('systemd units (deploy/systemd)', () => {
  const texts = Object.fromEntries(unitFiles.map((f) => [f, readFileSync(path.join(UNITS, f), 'utf8')]));

  it('pass systemd-analyze verify with no warning', () => {
    const r = verify(texts, asInstance);
    assert.equal(r.output, '');
    assert.equal(r.status, 0);
  });

  it('a broken unit is reported (the check really runs)', () => {
    const broken = { 'meshgate-edge.service': texts['meshgate-edge.service']!.replace('[Service]', '[Service]\nProtectSystm=strict') };
    const r = verify(broken);
    assert.match(r.output, /Unknown key 'ProtectSystm'/);
  });

  const hardening = ['DynamicUser=yes', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX', 'RestartPreventExitStatus=2'];
  for (const f of unitFiles) {
    it(`${f} is hardened`, () => {
      for (const line of hardening) assert.ok(texts[f]!.split('\n').includes(line), `${f}: ${line}`);
    });
  }

  it('only the edge may bind ports < 1024; the sidecar gets no capability', () => {
    assert.ok(texts['meshgate-edge.service']!.includes('\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n'));
    assert.ok(texts['meshgate-sidecar@.service']!.includes('\nAmbientCapabilities=\n'));
    assert.ok(texts['meshgate-sidecar@.service']!.includes('\nCapabilityBoundingSet=\n'));
  });
});
