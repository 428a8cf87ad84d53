// The plugin contract. A plugin is a named factory (Kong's name, priority and config schema)
// that is instantiated once per route and scope when the config is compiled; an instance
// declares the phases it runs in. Adding a plugin is a file and a line in registry.ts.
import type { TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import type { RequestContext } from './context.js';
import type { ConsumerIndex } from './consumers.js';
import type { AdminRoutes } from '../admin/admin-routes.js';
import type { Metrics } from '../observe/metrics.js';

/** An answer produced at the edge instead of proxying (401, 403, 429, a CORS preflight …). */
export interface ShortCircuit {
  readonly status: number;
  /** JSON-serialised as the body; a string is sent as is (with content-type from headers) */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

export type AccessResult = void | ShortCircuit;

/** What a plugin instance may do, by phase. All optional; phases not implemented cost nothing. */
export interface PluginInstance {
  readonly name: string;
  readonly priority: number;
  /**
   * Before proxying, in priority order (highest first). May read and change the context
   * (upstream headers, query, path, body, consumer) or answer itself. Async only when it must
   * be (Redis, a JWKS fetch).
   */
  access?(ctx: RequestContext): AccessResult | Promise<AccessResult>;
  /** The upstream (or short-circuit) status and headers, before they reach the client. */
  responseHeaders?(ctx: RequestContext, status: number, headers: ResponseHeaderList): void;
  /**
   * Response body transformation. Declaring it makes the edge buffer the response of routes
   * that use this instance (only when `wantsBody` says so for this response).
   */
  wantsBody?(ctx: RequestContext, status: number, headers: ResponseHeaderList): boolean;
  transformBody?(ctx: RequestContext, body: Buffer, headers: ResponseHeaderList): Buffer;
  /**
   * Sees the response body as it streams to the client, without holding it back (a cache
   * filling itself). Return null to skip this response.
   */
  tapBody?(ctx: RequestContext, status: number, headers: ResponseHeaderList): BodyTap | null;
  /**
   * What this instance would decide for the request, without side effects (no counting, no
   * fetching): for /debug/explain and the request-debug header. Plugins without it are reported
   * from a dry run of their access phase on a throwaway context when `pureAccess` says that is safe.
   */
  explain?(ctx: RequestContext): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** After the response was sent (or failed); never throws into the request. */
  log?(ctx: RequestContext, status: number): void;
  /** When the instance is replaced by a reload (close timers, connections). */
  close?(): void | Promise<void>;
}

/** A copy of the response body as it streams: chunks in order, then end() or abort(). */
export interface BodyTap {
  chunk(data: Buffer): void;
  /** the whole body was delivered to the client */
  end(): void;
  /** the body was cut short (upstream error, client gone): drop what was collected */
  abort(): void;
}

/** Everything a plugin may need at creation time, shared by all instances. */
export interface PluginEnv {
  readonly log: Logger;
  readonly consumers: ConsumerIndex;
  /**
   * Where the plugin entry is attached (Kong's route_id / service_id / consumer); an entry has
   * one instance whatever the number of routes it applies to. Use ctx.route for the request's.
   */
  readonly scope: { readonly route?: string; readonly service?: string; readonly consumer?: string };
  /** live edge agents known from Consul (≥ 1), for cluster-aware fallbacks */
  readonly clusterSize: () => number;
  /** admin endpoints (loopback listener), e.g. a cache purge; unregister in close() */
  readonly admin?: AdminRoutes;
  /** the agent's metrics (plugins with state worth watching export it there) */
  readonly metrics?: Metrics;
}

export interface PluginFactory<C = Record<string, unknown>> {
  readonly name: string;
  /** Kong's PRIORITY: higher runs first */
  readonly priority: number;
  /**
   * The plugin configures the whole agent (tracing, metrics) instead of running per request:
   * only a global entry is accepted, and it is kept out of the route chains.
   */
  readonly agentWide?: true;
  /** JSON Schema of `config`, with Kong's defaults (`default`) and strict keys */
  readonly configSchema: TSchema;
  /** Extra rules beyond the schema; return messages keyed by config sub-path ("" for the whole config). */
  readonly validate?: (config: C) => readonly { path: string; message: string }[];
  create(config: C, env: PluginEnv): PluginInstance;
}

/** A flat [name, value, name, value …] header list with case-insensitive edits. */
export interface HeaderList {
  get(name: string): string | undefined;
  getAll(name: string): string[];
  has(name: string): boolean;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
  remove(name: string): void;
  /** [name, value] pairs, in order */
  entries(): [string, string][];
}

export type ResponseHeaderList = HeaderList;
