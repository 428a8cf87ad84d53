// Statistics shared by the benchmarks.

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/**
 * The median over rounds of (a's req/s / b's req/s) in the same round: both runs of a pair are
 * seconds apart, so a machine that drifts (a shared host, a CPU that changes speed) moves both.
 * `runs`: [{ round, key, rps, ok, ... }]; `same(run)` narrows (e.g. to one connection count).
 */
export function pairedRatio(runs, a, b, same = () => true) {
  const ratios = [];
  for (const round of new Set(runs.map((r) => r.round))) {
    const x = runs.find((r) => r.round === round && r.key === a && r.ok !== false && same(r));
    const y = runs.find((r) => r.round === round && r.key === b && r.ok !== false && same(r));
    if (x?.rps && y?.rps) ratios.push(x.rps / y.rps);
  }
  return { median: median(ratios), ratios };
}

/** median(num) / median(den): null when either side has no number (or the denominator is 0) */
export function ratioOfMedians(num, den) {
  const n = median(num);
  const d = median(den);
  return n !== null && d ? n / d : null;
}
