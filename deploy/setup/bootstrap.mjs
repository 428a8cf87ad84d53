#!/usr/bin/env node
// `npm start`, `npm test` and `npm run bench` on a fresh clone: installs dependencies, builds,
// finds or installs Consul (and, for the benchmark, nginx, HAProxy and wrk), then runs.
// Uses nothing but Node itself, because it runs before node_modules exists.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const mode = process.argv[2] ?? 'test';
const extra = process.argv.slice(3);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function step(what, cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
  if (r.status !== 0) {
    if (opts.optional) { process.stderr.write(`meshgate setup: ${what} failed (optional, continuing)\n`); return null; }
    process.stderr.write(`meshgate setup: ${what} failed\n`);
    process.exit(r.status ?? 1);
  }
  return r.stdout;
}

function mtime(p) { try { return statSync(path.join(root, p)).mtimeMs; } catch { return 0; } }

// 1. dependencies (npm ci also runs `prepare`, which builds)
const installed = path.join(root, 'node_modules/.package-lock.json');
if (!existsSync(installed) || mtime('package-lock.json') > mtime('node_modules/.package-lock.json')) {
  step('npm ci', npm, ['ci', '--no-audit', '--no-fund']);
}
// 2. build (incremental enough: tsc on this tree takes seconds)
step('build', npm, ['run', '--silent', 'build']);
// 3. Consul: on PATH, in .tools/, or installed there from Debian bullseye
const consul = step('consul', 'bash', [path.join(root, 'deploy/setup/install-consul.sh')], { capture: true }).trim().split('\n').pop();
const env = { ...process.env, CONSUL_BIN: consul };
// 4. tools some modes need
// the multi-host topology (network namespaces, veth, a bridge) needs iproute2 and root
if (mode === 'demo-hosts' || mode === 'chaos') {
  step('iproute2', 'bash', [path.join(root, 'deploy/setup/install-packages.sh'), 'ip:iproute2']);
  if (process.getuid?.() !== 0) { process.stderr.write(`meshgate: ${mode} creates network namespaces and needs root (sudo npm run ...)\n`); process.exit(1); }
}
if (mode.startsWith('bench')) {
  step('bench tools', 'bash', [path.join(root, 'deploy/setup/install-packages.sh'), 'nginx:nginx-light', 'haproxy:haproxy', 'wrk:wrk', 'h2load:nghttp2-client']);
}
// the HTTP/2 integration tests drive the edge with nghttp (and curl --http2)
if (mode === 'test') step('http2 client', 'bash', [path.join(root, 'deploy/setup/install-packages.sh'), 'nghttp:nghttp2-client']);
// the browser tier drives Debian's headless Chromium over the DevTools protocol
if (mode === 'browser') step('chromium', 'bash', [path.join(root, 'deploy/setup/install-packages.sh'), 'chromium:chromium']);

const commands = {
  demo: [process.execPath, [path.join(root, 'bin/meshgate.js'), 'demo', ...extra]],
  test: [process.execPath, [path.join(root, 'node_modules/mocha/bin/mocha.js'), ...extra]],
  browser: [process.execPath, [path.join(root, 'node_modules/mocha/bin/mocha.js'), 'dist/test/browser/cors-chromium.test.js', ...extra]],
  bench: [process.execPath, [path.join(root, 'test/bench/all.mjs'), ...extra]],
  'bench-policies': [process.execPath, [path.join(root, 'test/bench/policies.mjs'), ...extra]],
  'demo-hosts': [process.execPath, [path.join(root, 'dist/test/multihost/demo-hosts.js'), ...extra]],
  chaos: [process.execPath, [path.join(root, 'dist/test/chaos/run-chaos.js'), ...extra]],
  convergence: [process.execPath, [path.join(root, 'test/bench/convergence.mjs'), ...extra]],
  'bench-slow': [process.execPath, [path.join(root, 'test/bench/slow-clients.mjs'), ...extra]],
  'bench-tls': [process.execPath, [path.join(root, 'test/bench/tls.mjs'), ...extra]],
  'bench-workers': [process.execPath, [path.join(root, 'test/bench/workers.mjs'), ...extra]],
  'bench-ws': [process.execPath, [path.join(root, 'test/bench/websocket.mjs'), ...extra]],
  'bench-memory': [process.execPath, [path.join(root, 'test/bench/memory.mjs'), ...extra]],
};
const [cmd, args] = commands[mode] ?? (() => { process.stderr.write(`unknown mode ${mode}\n`); process.exit(64); })();
const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env });
// Ctrl-C reaches the whole foreground process group; we only wait for the child to finish.
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
