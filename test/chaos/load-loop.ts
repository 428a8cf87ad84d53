// A bounded load loop through the edge while a fault happens: a few workers, each sending GETs
// (idempotent) and every fifth request a POST, until stopped or a request cap is hit. Every
// request's start time, duration, outcome and answering instance is kept for the scenario's numbers.
export interface Sample { readonly startedAt: number; readonly ms: number; readonly method: 'GET' | 'POST'; readonly ok: boolean; readonly instance: string; readonly error?: string }

export interface LoadLoop { stop(): Promise<Sample[]> }

const WORKERS = 4;
const MAX_REQUESTS = 200_000;
const REQUEST_TIMEOUT_MS = 15_000;

export function startLoad(edgeUrl: string): LoadLoop {
  const samples: Sample[] = [];
  let stopping = false;
  const worker = async (w: number) => {
    for (let n = 0; !stopping && samples.length < MAX_REQUESTS; n++) {
      const method = n % 5 === 4 ? 'POST' : 'GET';
      const startedAt = Date.now();
      try {
        const res = await fetch(`${edgeUrl}/api/v1/users/${w}-${n}`, {
          method, ...(method === 'POST' ? { body: JSON.stringify({ n }), headers: { 'content-type': 'application/json' } } : {}),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        const body = await res.text();
        samples.push({ startedAt, ms: Date.now() - startedAt, method, ok: res.status === 200, instance: res.headers.get('x-instance') ?? '', ...(res.status === 200 ? {} : { error: `${res.status} ${body.slice(0, 120)}` }) });
      } catch (err) {
        samples.push({ startedAt, ms: Date.now() - startedAt, method, ok: false, instance: '', error: (err as Error).message });
      }
    }
  };
  const running = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  return { async stop() { stopping = true; await running; return samples; } };
}

export function p99(samples: readonly Sample[]): number {
  if (samples.length === 0) return 0;
  const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}
