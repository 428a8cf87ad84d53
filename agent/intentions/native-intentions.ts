// Consul intentions decided locally: one blocking watch on Consul's intentions (the
// service-intentions config entries where Consul has them, 1.9+, else /v1/connect/intentions),
// compiled into an immutable table that is swapped whole on every change. A request reads the
// current table once, so a change applies to the very next request, on open connections too.
// Nothing on the request path calls Consul.
import type { Logger } from 'pino';
import { BlockingWatcher, type WatchStatus } from '../discovery/blocking-watcher.js';
import { ConsulHttpError, type ConsulClient } from '../../registrar/consul-client.js';
import { CONNECT_PATHS } from '../transport/consul-connect-api.js';
import { rulesFromIntentionList, rulesFromServiceIntentions, type IntentionAction, type ParsedRules } from './intention-rules.js';
import { compileIntentionTable, type CompiledTable, type IntentionDecision, type RequestFacts } from './intention-table.js';

export type { IntentionDecision, RequestFacts };

export interface NativeIntentionsOptions {
  /** mesh.default_intention_policy; absent: Consul's ACL default policy (allow when ACLs are off) */
  readonly defaultPolicy?: IntentionAction;
  /** called after each swap with Consul's index (tests and metrics) */
  readonly onSwap?: (table: CompiledTable) => void;
}

const UNKNOWN: IntentionDecision = Object.freeze({ allowed: false, reason: 'intentions not loaded from Consul yet', unavailable: true });

export class NativeIntentions {
  readonly #client: ConsulClient;
  readonly #log: Logger;
  #opts: NativeIntentionsOptions;
  #table: CompiledTable | undefined;
  #defaultAction: IntentionAction | undefined;
  #watcher: BlockingWatcher | undefined;
  #lastBody: unknown;
  #parse: (body: unknown) => ParsedRules = rulesFromIntentionList;
  #stopped = false;

  constructor(client: ConsulClient, log: Logger, opts: NativeIntentionsOptions = {}) {
    this.#client = client;
    this.#log = log;
    this.#opts = opts;
  }

  /** The decision for one inbound request from `source` (a service name) to `destination`. */
  decide(source: string, destination: string, req?: RequestFacts): IntentionDecision {
    const t = this.#table;
    return t === undefined ? UNKNOWN : t.decide(source, destination, req);
  }

  status(): WatchStatus | undefined { return this.#watcher?.status(); }

  async start(): Promise<void> {
    this.#defaultAction = this.#opts.defaultPolicy ?? await this.#aclDefault();
    if (this.#stopped) return;
    const path = await this.#pickSource();
    if (this.#stopped) return;
    this.#watcher = new BlockingWatcher(this.#client, {
      name: 'intentions', path, minIntervalMs: 0,
      onChange: (body) => { this.#lastBody = body; this.#swap(); },
      onError: (err, attempt) => { if (attempt === 1 || attempt % 10 === 0) this.#log.warn({ err: (err as Error).message }, 'intentions watch failed; the last known intentions keep deciding'); },
    });
    this.#watcher.start();
  }

  /**
   * A reload's mesh.default_intention_policy: the table is compiled again with it (the next request
   * decides by it); none given falls back to Consul's ACL default policy, asked again.
   */
  async setDefaultPolicy(policy: IntentionAction | undefined): Promise<void> {
    if (policy === this.#opts.defaultPolicy) return;
    this.#opts = { ...this.#opts, defaultPolicy: policy };
    const action = policy ?? await this.#aclDefault();
    if (this.#stopped || this.#opts.defaultPolicy !== policy) return;
    this.#defaultAction = action;
    if (this.#table !== undefined) this.#swap();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#watcher?.stop();
  }

  #swap(): void {
    const parsed = this.#parse(this.#lastBody);
    const table = compileIntentionTable(parsed.rules, this.#defaultAction ?? 'deny', parsed.problems);
    for (const p of table.problems) this.#log.warn({ problem: p }, 'intention skipped');
    this.#table = table;
    this.#log.info({ intentions: table.size, default: this.#defaultAction }, 'intentions compiled');
    this.#opts.onSwap?.(table);
  }

  /** 1.9+ serves service-intentions config entries (with L7 permissions as written); 1.8 does not. */
  async #pickSource(): Promise<string> {
    try {
      await this.#client.get('/config/service-intentions');
      this.#parse = rulesFromServiceIntentions;
      return CONNECT_PATHS.serviceIntentions;
    } catch (err) {
      if (!(err instanceof ConsulHttpError) || !/invalid config entry kind/i.test(err.detail)) {
        this.#log.debug({ err: (err as Error).message }, 'service-intentions not readable; watching /v1/connect/intentions');
      }
      this.#parse = rulesFromIntentionList;
      return CONNECT_PATHS.intentions;
    }
  }

  /** Consul decides unmatched pairs by the ACL default policy; ask the local agent once. */
  async #aclDefault(): Promise<IntentionAction> {
    for (let attempt = 1; !this.#stopped; attempt++) {
      try {
        const self = await this.#client.get<{ DebugConfig?: { ACLsEnabled?: boolean; ACLDefaultPolicy?: string } }>('/agent/self');
        const c = self.body.DebugConfig ?? {};
        return c.ACLsEnabled !== true ? 'allow' : c.ACLDefaultPolicy === 'allow' ? 'allow' : 'deny';
      } catch (err) {
        if (err instanceof ConsulHttpError && err.status === 403) {
          this.#log.error({ missing_permission: 'agent:read' }, 'the Consul token cannot read the agent\'s ACL default policy (needs agent:read on this node); unmatched intentions default to deny — set mesh.default_intention_policy to choose');
          return 'deny';
        }
        if (attempt === 1) this.#log.warn({ err: (err as Error).message }, 'cannot read the ACL default policy from Consul yet; retrying');
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * attempt)));
      }
    }
    return 'deny';
  }
}
