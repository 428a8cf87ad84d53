// Test doubles for plugin unit tests: a client request shaped like Node's (headers, rawHeaders,
// a readable body), the RequestContext the edge would build for it, the plugin env, and configs
// passed through the plugin's schema the way agent/plugins/plugin-config.ts does (Ajv with defaults).
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { Ajv } from 'ajv';
import { pino, type Logger } from 'pino';
import type { ConsumerIndex } from '../../../../../agent/plugins/consumers.js';
import { RequestContext } from '../../../../../agent/plugins/context.js';
import type { PluginEnv, PluginFactory, PluginInstance, ShortCircuit } from '../../../../../agent/plugins/plugin.js';

export interface FakeRequestInit {
  readonly method?: string;
  /** path and query, e.g. "/orders?apikey=k" */
  readonly url?: string;
  /** in order; a name may repeat */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: string | Buffer;
  readonly clientIp?: string;
}

/** Node's req.headers: lower-case names, repeats joined with ", " (set-cookie aside). */
function nodeHeaders(raw: readonly (readonly [string, string])[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [n, v] of raw) {
    const name = n.toLowerCase();
    const cur = out[name];
    if (name === 'set-cookie') out[name] = [...((cur as string[] | undefined) ?? []), v];
    else if (cur === undefined) out[name] = v;
    else if (name === 'cookie') out[name] = `${cur as string}; ${v}`;
    else if (name !== 'authorization' && name !== 'content-type' && name !== 'host') out[name] = `${cur as string}, ${v}`;
  }
  return out;
}

export function fakeRequest(init: FakeRequestInit = {}): IncomingMessage {
  const raw = init.headers ?? [];
  const chunks = init.body === undefined ? [] : [Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body)];
  const req = Readable.from(chunks) as unknown as Record<string, unknown>;
  Object.assign(req, {
    method: init.method ?? 'GET', url: init.url ?? '/', headers: nodeHeaders(raw), rawHeaders: raw.flatMap(([n, v]) => [n, v]),
    socket: { remoteAddress: init.clientIp ?? '10.0.0.1' },
  });
  return req as unknown as IncomingMessage;
}

/** The context the edge builds after routing; upstream headers start as a copy of the client's. */
export function fakeContext(init: FakeRequestInit = {}): RequestContext {
  const req = fakeRequest(init);
  const url = init.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return new RequestContext({
    req, requestId: 'test-request-id', clientIp: init.clientIp ?? '10.0.0.1', route: { name: 'r1', service: 's1' },
    path, query: q < 0 ? '' : url.slice(q + 1), captures: {}, upstreamPath: path, upstreamHeaders: [...req.rawHeaders],
  });
}

export function pluginEnv(consumers: ConsumerIndex, log: Logger = pino({ level: 'silent' })): PluginEnv {
  return { log, consumers, scope: { route: 'r1', service: 's1' }, clusterSize: () => 1 };
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });

/** Schema errors and the factory's own validate() messages for a raw `config`. */
export function configIssues(factory: PluginFactory<any>, raw: Record<string, unknown>): { config: Record<string, unknown>; issues: string[] } {
  const config = structuredClone(raw);
  const validate = ajv.compile(factory.configSchema);
  if (!validate(config)) return { config, issues: (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`) };
  return { config, issues: (factory.validate?.(config) ?? []).map((i) => `${i.path}: ${i.message}`) };
}

/** An instance of `factory` created from `raw` with the schema's defaults (throws on an invalid config). */
export function createPlugin<C>(factory: PluginFactory<C>, raw: Record<string, unknown>, env: PluginEnv): PluginInstance {
  const { config, issues } = configIssues(factory as PluginFactory<any>, raw);
  if (issues.length > 0) throw new Error(`invalid test config: ${issues.join('; ')}`);
  return factory.create(config as C, env);
}

/** Runs the access phase (sync or not) and returns its short-circuit, if any. */
export async function access(instance: PluginInstance, ctx: RequestContext): Promise<ShortCircuit | undefined> {
  return (await instance.access?.(ctx)) ?? undefined;
}

/** An upstream header as the edge would send it. */
export function upstream(ctx: RequestContext, name: string): string | undefined {
  return ctx.upstreamHeaders.get(name);
}
