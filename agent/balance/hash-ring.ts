// A consistent-hash lookup table: Maglev (Google's, as Envoy's MAGLEV). The table has `slots` entries
// rounded up to a prime (Kong's `slots` is its ring size, same range); each target fills entries along
// its own permutation of the table, derived from its key only, in turns proportional to its weight.
// A pick is one modulo and one array read; the table depends only on the targets' keys and weights,
// not on their order or randomness, so every agent maps a key to the same target, and adding or
// removing one of N targets moves about 1/N of keys. (A ketama ring of `slots` points moves more: a
// fixed total re-spreads every target's points when N changes; Kong's own ring is incremental, so
// its layout depends on the order of past changes and differs between agents.)

export interface RingTarget {
  readonly key: string;
  readonly weight: number;
}

export class HashRing {
  /** index into the constructor's target list, per table entry; empty when no target has weight */
  readonly #table: Int32Array;

  constructor(targets: readonly RingTarget[], slots: number) {
    const live = targets.map((t, i) => ({ t, i })).filter((x) => x.t.weight > 0)
      .sort((a, b) => compare(a.t.key, b.t.key)); // fill order by key, not list order
    const m = nextPrime(Math.max(slots, live.length));
    this.#table = new Int32Array(live.length === 0 ? 0 : m).fill(-1);
    if (live.length === 0) return;
    const maxW = Math.max(...live.map((x) => x.t.weight));
    const offset = live.map((x) => hashString(`${x.t.key}#offset`) % m);
    const skip = live.map((x) => (hashString(`${x.t.key}#skip`) % (m - 1)) + 1);
    const next = live.map(() => 0);
    const credit = live.map(() => 0);
    for (let filled = 0; filled < m;) {
      for (let j = 0; j < live.length && filled < m; j++) {
        credit[j]! += live[j]!.t.weight / maxW;
        if (credit[j]! < 1) continue;
        credit[j]! -= 1;
        let c: number;
        do c = (offset[j]! + next[j]!++ * skip[j]!) % m; while (this.#table[c] !== -1);
        this.#table[c] = live[j]!.i;
        filled++;
      }
    }
  }

  get size(): number {
    return this.#table.length;
  }

  /**
   * The owner of `hash`, probing the following entries past owners `usable` refuses (a down
   * target's keys spill to other targets, the rest stay put). -1 when no owner is usable.
   */
  owner(hash: number, usable: (owner: number) => boolean = () => true): number {
    const n = this.#table.length;
    if (n === 0) return -1;
    const start = (hash >>> 0) % n;
    for (let step = 0; step < n; step++) {
      const o = this.#table[(start + step) % n]!;
      if (usable(o)) return o;
    }
    return -1;
  }
}

function nextPrime(n: number): number {
  for (let p = Math.max(2, n); ; p++) if (isPrime(p)) return p;
}

function isPrime(n: number): boolean {
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return n >= 2;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** FNV-1a over UTF-16 code units, then murmur3's finaliser: FNV alone clusters similar keys ("a#1", "a#2"). */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Share of `keys` whose owner key differs between two rings over two target lists. */
export function remapFraction(
  before: HashRing, beforeTargets: readonly RingTarget[], after: HashRing, afterTargets: readonly RingTarget[], keys: readonly string[],
): number {
  let moved = 0;
  for (const k of keys) {
    const h = hashString(k);
    if (beforeTargets[before.owner(h)]?.key !== afterTargets[after.owner(h)]?.key) moved++;
  }
  return keys.length === 0 ? 0 : moved / keys.length;
}
