// Pure: what a reload does with a sidecar's local upstream ports. An entry listed before and after
// (same service, same listen address) keeps its listener and its connections; every other new
// entry is a port to open, every other old one a port to drain and close.

export interface UpstreamSpec {
  readonly service: string;
  readonly listen: string;
}

export interface UpstreamPlan {
  /** indexes into the running list whose listeners stay */
  readonly keep: readonly number[];
  /** next index → the running index whose listener it keeps */
  readonly kept: ReadonlyMap<number, number>;
  /** indexes into the next list that need a new listener */
  readonly open: readonly number[];
}

export function planUpstreams(running: readonly UpstreamSpec[], next: readonly UpstreamSpec[]): UpstreamPlan {
  const key = (u: UpstreamSpec) => `${u.service}\u0000${u.listen}`;
  const free = new Map<string, number[]>();
  running.forEach((u, i) => { const k = key(u); free.set(k, [...(free.get(k) ?? []), i]); });
  const kept = new Map<number, number>();
  const open: number[] = [];
  next.forEach((u, i) => {
    const match = free.get(key(u))?.shift();
    if (match === undefined) open.push(i); else kept.set(i, match);
  });
  return { keep: [...kept.values()].sort((a, b) => a - b), kept, open };
}
