// Shared test doubles for the rate-limiting tests: request contexts, a recording logger, the
// plugin env, and configs validated the way agent/plugins/plugin-config.ts does (Ajv with defaults).
import type { IncomingMessage } from 'node:http';
import { Ajv } from 'ajv';
import type { Logger } from 'pino';
import { ConsumerIndex, type Consumer, type Credential } from '../../../../../agent/plugins/consumers.js';
import { RequestContext } from '../../../../../agent/plugins/context.js';
import type { PluginEnv } from '../../../../../agent/plugins/plugin.js';
import { rateLimitingConfigSchema, type RateLimitingConfig } from '../../../../../agent/plugins/rate-limiting/config.js';

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
const validateSchema = ajv.compile(rateLimitingConfigSchema);

/** The config after the schema (with Kong's defaults filled), or the schema's error list. */
export function schemaCheck(raw: Record<string, unknown>): { ok: true; config: RateLimitingConfig } | { ok: false; errors: string[] } {
  const config = structuredClone(raw);
  if (validateSchema(config)) return { ok: true, config: config as RateLimitingConfig };
  return { ok: false, errors: (validateSchema.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`) };
}

export function config(raw: Record<string, unknown>): RateLimitingConfig {
  const r = schemaCheck(raw);
  if (!r.ok) throw new Error(`invalid test config: ${r.errors.join('; ')}`);
  return r.config;
}

export interface CtxInit {
  readonly ip?: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly consumer?: Consumer | null;
  readonly credential?: Credential | null;
  readonly service?: string;
  readonly serviceId?: string;
}

export function ctx(init: CtxInit = {}): RequestContext {
  const req = { method: 'GET', headers: { ...(init.headers ?? {}) } } as unknown as IncomingMessage;
  const c = new RequestContext({
    req, requestId: 'req-1', clientIp: init.ip ?? '10.0.0.1',
    route: { name: 'r1', service: init.service ?? 'svc', ...(init.serviceId !== undefined ? { serviceId: init.serviceId } : {}) },
    path: init.path ?? '/', query: '', captures: {}, upstreamPath: init.path ?? '/', upstreamHeaders: [],
  });
  c.consumer = init.consumer ?? null;
  c.credential = init.credential ?? null;
  return c;
}

export const ALICE: Consumer = Object.freeze({ id: 'c-alice', username: 'alice', customId: undefined, groups: [] });
export const ALICE_KEY: Credential = Object.freeze({ id: 'k-alice', identifier: 'k-alice', consumer: ALICE });

export interface LogRecord { readonly level: string; readonly msg: string; readonly obj: unknown }

/** A pino-shaped logger that records what was logged. */
export function recordingLogger(records: LogRecord[] = []): Logger & { records: LogRecord[] } {
  const at = (level: string) => (obj: unknown, msg?: string) => { records.push({ level, msg: msg ?? String(obj), obj }); };
  const log = {
    records, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal'),
    child: () => log,
  };
  return log as unknown as Logger & { records: LogRecord[] };
}

export function env(opts: { route?: string; service?: string; clusterSize?: number; log?: Logger } = {}): PluginEnv {
  return {
    log: opts.log ?? recordingLogger(),
    consumers: new ConsumerIndex(),
    scope: { ...(opts.route !== undefined ? { route: opts.route } : {}), ...(opts.service !== undefined ? { service: opts.service } : {}) },
    clusterSize: () => opts.clusterSize ?? 1,
  };
}

/** A hand-turned clock */
export class FakeClock {
  constructor(public nowMs: number) {}
  readonly now = (): number => this.nowMs;
  advance(ms: number): void { this.nowMs += ms; }
}

export const utc = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad date ${iso}`);
  return t;
};
