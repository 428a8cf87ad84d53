import { removeHeader } from '../proxy/flat-headers.js';
import type { HeaderList } from './plugin.js';

const LENGTHS = new WeakMap<ReadonlySet<string>, ReadonlySet<number>>();
/** the name lengths of a (long-lived) name set, computed once per set */
function lengthsOf(names: ReadonlySet<string>): ReadonlySet<number> {
  let l = LENGTHS.get(names);
  if (l === undefined) { l = new Set([...names].map((n) => n.length)); LENGTHS.set(names, l); }
  return l;
}

/** HeaderList over a flat array (the same array undici and writeHead take). */
export class FlatHeaderList implements HeaderList {
  constructor(readonly flat: string[]) {}

  #index(lower: string, from = 0): number {
    const f = this.flat;
    for (let i = from; i < f.length; i += 2) {
      const n = f[i]!;
      if (n.length === lower.length && n.toLowerCase() === lower) return i;
    }
    return -1;
  }

  get(name: string): string | undefined {
    const i = this.#index(name.toLowerCase());
    return i < 0 ? undefined : this.flat[i + 1];
  }

  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < this.flat.length; i += 2) {
      const n = this.flat[i]!;
      if (n.length === lower.length && n.toLowerCase() === lower) out.push(this.flat[i + 1]!);
    }
    return out;
  }

  has(name: string): boolean {
    return this.#index(name.toLowerCase()) >= 0;
  }

  set(name: string, value: string): void {
    this.remove(name);
    this.flat.push(name, value);
  }

  append(name: string, value: string): void {
    this.flat.push(name, value);
  }

  remove(name: string): void {
    removeHeader(this.flat, name.toLowerCase());
  }

  /** Removes every header whose lower-case name is in `lowerNames`, in one pass. */
  removeAll(lowerNames: ReadonlySet<string>): void {
    const lengths = lengthsOf(lowerNames);
    const f = this.flat;
    let w = 0;
    for (let r = 0; r < f.length; r += 2) {
      const n = f[r]!;
      // only names of a length in the set can match: skip the lower-casing of the others
      if (lengths.has(n.length) && lowerNames.has(n.toLowerCase())) continue;
      if (w !== r) { f[w] = n; f[w + 1] = f[r + 1]!; }
      w += 2;
    }
    if (w !== f.length) f.length = w;
  }

  entries(): [string, string][] {
    const out: [string, string][] = [];
    for (let i = 0; i < this.flat.length; i += 2) out.push([this.flat[i]!, this.flat[i + 1]!]);
    return out;
  }
}
