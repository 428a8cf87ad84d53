// The meshgate command line.
import { MESHGATE_VERSION } from './version.js';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from './config/config-error.js';
import cluster from 'node:cluster';
import type { AgentOverrides } from './agent.js';
import { resolveWorkers } from './workers/worker-count.js';

const HELP = `meshgate — service-mesh sidecar and Kong-compatible API gateway on Consul

Usage:
  meshgate agent --config FILE [--listen HOST:PORT] [--listen-tls HOST:PORT] [--admin HOST:PORT] [--consul URL] [--workers N|auto]
  meshgate validate FILE
  meshgate demo
  meshgate --help | --version

  agent     run an edge and/or sidecar from FILE (a meshgate YAML file or a plain Kong decK file)
            --listen  the edge's public listener (the sidecar's mesh listener if there is no edge)
            --listen-tls  the edge's HTTPS listener (needs certificates; default 0.0.0.0:8443 when there are some)
            --admin   the admin listener (/health /ready /status /metrics), loopback by default
            --consul  the Consul agent's HTTP address, e.g. http://127.0.0.1:8500
            --workers processes serving the edge (N, or auto: one per core); overrides agent.workers
            --allow-unknown-plugins  plugins meshgate does not implement are ignored with a warning
  validate  check FILE; prints every error with its YAML path, or OK. Exit code 2 when invalid.
  demo      run the demo mesh: Consul, sample services behind sidecars, an edge on :8080

Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP (or a change of FILE) reloads the config (README, "What a reload applies");
an invalid file is rejected and the running config keeps serving.
`;

export const EXIT_INVALID_CONFIG = 2;

function version(): string {
  return MESHGATE_VERSION;
}

function configFailure(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    return EXIT_INVALID_CONFIG;
  }
  throw err;
}

function overridesOf(values: { listen?: string | undefined; admin?: string | undefined; 'listen-tls'?: string | undefined; consul?: string | undefined }): AgentOverrides {
  return {
    ...(values.listen ? { listen: values.listen } : {}), ...(values.admin ? { admin: values.admin } : {}),
    ...(values['listen-tls'] ? { listenTls: values['listen-tls'] } : {}), ...(values.consul ? { consul: values.consul } : {}),
  };
}

/**
 * The config loader (YAML parser, the config schemas' validators), imported only where a file
 * is read: a worker gets its config from the primary and is spared it (measured: 115-121 -> 101 MiB
 * of RSS with the worker code loaded, JS heap 37-39 -> 16 MiB; compiling the schemas is most of it).
 */
const loadConfig = () => import('./config/load.js');

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' }, listen: { type: 'string' }, 'listen-tls': { type: 'string' }, admin: { type: 'string' },
        consul: { type: 'string' }, workers: { type: 'string' }, 'allow-unknown-plugins': { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    process.stderr.write(`meshgate: ${(err as Error).message}\n\n${HELP}`);
    return 64;
  }
  const { values, positionals } = parsed;
  // for migrations from Kong: plugins meshgate does not know become warnings instead of errors
  if (values['allow-unknown-plugins']) process.env.MESHGATE_ALLOW_UNKNOWN_PLUGINS = '1';
  if (values.version) { process.stdout.write(`meshgate ${version()}\n`); return 0; }
  const command = positionals[0];
  if (values.help || command === undefined || command === 'help') { process.stdout.write(HELP); return command === undefined && !values.help ? 64 : 0; }

  switch (command) {
    case 'validate': {
      const file = positionals[1] ?? values.config;
      if (!file) { process.stderr.write('meshgate validate: FILE is required\n'); return 64; }
      try {
        await (await loadConfig()).loadConfigFile(file);
        process.stdout.write('OK\n');
        return 0;
      } catch (err) { return configFailure(err); }
    }
    case 'agent': {
      // a worker of a multi-process edge: its config comes from the primary over IPC
      if (cluster.isWorker) return (await import('./workers/worker-main.js')).runWorker();
      const file = values.config ?? positionals[1];
      if (!file) { process.stderr.write('meshgate agent: --config FILE is required\n'); return 64; }
      for (const [flag, v] of [['listen', values.listen], ['listen-tls', values['listen-tls']], ['admin', values.admin]] as const) {
        if (v !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):[0-9]{1,5}$/.test(v)) {
          process.stderr.write(`meshgate agent: --${flag}: must be HOST:PORT\n`);
          return EXIT_INVALID_CONFIG;
        }
      }
      let loaded;
      try { loaded = await (await loadConfig()).loadConfigFile(file); } catch (err) { return configFailure(err); }
      const listenTls = values['listen-tls'];
      const edge = loaded.config.edge;
      if (listenTls !== undefined && !(edge?.kong.certificates?.length || edge?.tls?.certificates?.length)) {
        process.stderr.write('meshgate agent: --listen-tls: needs a certificate (edge.tls.certificates or Kong certificates)\n');
        return EXIT_INVALID_CONFIG;
      }
      const workers = resolveWorkers(values.workers, loaded.config);
      if (typeof workers === 'string') { process.stderr.write(`meshgate agent: ${workers}\n`); return EXIT_INVALID_CONFIG; }
      if (workers > 1) {
        const { runPrimary } = await import('./workers/primary.js');
        return runPrimary(file, loaded, overridesOf(values), workers);
      }
      const { runAgent } = await import('./agent.js');
      try {
        return await runAgent(file, loaded, overridesOf(values));
      } catch (err) { return configFailure(err); }
    }
    case 'demo': {
      const { runDemo } = await import('./demo/demo.js');
      return runDemo();
    }
    default:
      process.stderr.write(`meshgate: unknown command "${command}"\n\n${HELP}`);
      return 64;
  }
}
