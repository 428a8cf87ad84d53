// The agent's /status with workers: routes and pools as the workers serve them (each endpoint's
// in-flight, ejections and failures added up over the workers; available only if available in
// every one), watchers and mesh certificates from the primary, and one row per worker.

interface EndpointRow {
  readonly key: string;
  readonly inflight: number;
  readonly available: boolean;
  readonly ejections: number;
  readonly recent_failures: number;
  readonly skipped_for_ms: number;
  readonly [more: string]: unknown;
}

interface PoolRow {
  readonly name: string;
  readonly endpoints: readonly EndpointRow[];
  readonly [more: string]: unknown;
}

/** The pools of the first worker, with every worker's per-endpoint state combined. */
export function mergePools(perWorker: readonly (readonly PoolRow[])[]): PoolRow[] {
  const [first, ...rest] = perWorker;
  if (first === undefined) return [];
  return first.map((pool) => ({
    ...pool,
    endpoints: pool.endpoints.map((ep) => {
      const same = rest.map((pools) => pools.find((p) => p.name === pool.name)?.endpoints.find((e) => e.key === ep.key)).filter((e) => e !== undefined);
      return same.reduce<EndpointRow>((acc, e) => ({
        ...acc, inflight: acc.inflight + e.inflight, ejections: acc.ejections + e.ejections, recent_failures: acc.recent_failures + e.recent_failures,
        available: acc.available && e.available, skipped_for_ms: Math.max(acc.skipped_for_ms, e.skipped_for_ms),
      }), ep);
    }),
  }));
}

export interface WorkerReport {
  readonly index: number;
  readonly pid: number;
  readonly started: number;
  /** the worker's answer (worker-main.ts WorkerAnswer), or null if it did not answer in time */
  readonly answer: { readonly requests: number; readonly loaded: boolean; readonly poolLagMs: number; readonly report: Record<string, unknown> } | null;
}

export interface PrimaryPart {
  readonly ready: boolean;
  readonly startedAt: number;
  readonly watchers: unknown[];
  readonly mesh: unknown;
  readonly spare: { pid: number; warm: boolean } | null;
}

export function agentStatus(workers: readonly WorkerReport[], primary: PrimaryPart, now: number): Record<string, unknown> {
  const answered = workers.filter((w) => w.answer !== null);
  const base = answered[0]?.answer?.report ?? {};
  return {
    ...base,
    ready: primary.ready,
    uptime_s: Math.round((now - primary.startedAt) / 1000),
    pools: mergePools(answered.map((w) => (w.answer!.report.pools ?? []) as PoolRow[])),
    watchers: primary.watchers,
    mesh: primary.mesh,
    pid: process.pid,
    workers: workers.map((w) => ({
      index: w.index, pid: w.pid, started: new Date(w.started).toISOString(),
      requests: w.answer?.requests ?? null, ready: w.answer?.loaded ?? false, pool_lag_ms: w.answer?.poolLagMs ?? null,
    })),
    spare_worker: primary.spare,
  };
}
