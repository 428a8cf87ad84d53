// Kong's "name:value" config entries and the verbs applied to them, shared by both transformers.

/** Kong's split: the name runs to the first colon; further colons before the value are dropped. */
export function splitPair(entry: string): { name: string; value: string } {
  const m = /^([^:]+):*([\s\S]*)$/.exec(entry);
  return m === null ? { name: entry, value: '' } : { name: m[1]!, value: m[2]! };
}

/** Kong 3's schema pattern for entries that need a value (rename, replace, add, append). */
export const PAIR_PATTERN = '^[^:]+:.*$';

/** RFC 9110 token: what a header name may be. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * A multi-valued map the verbs work on: headers, a query string, a form or JSON body. Names
 * compare the way the map does (headers case-insensitively).
 */
export interface FieldMap<T = string> {
  has(name: string): boolean;
  remove(name: string): void;
  /** moves every value of `from` to `to`, replacing what `to` had */
  rename(from: string, to: string): void;
  set(name: string, value: T): void;
  append(name: string, value: T): void;
}

/** The five verbs, compiled: values are produced per request (templates) by `V`. */
export interface Verbs<V> {
  readonly remove: readonly string[];
  readonly rename: readonly { readonly from: string; readonly to: string }[];
  readonly replace: readonly { readonly name: string; readonly value: V }[];
  readonly add: readonly { readonly name: string; readonly value: V }[];
  readonly append: readonly { readonly name: string; readonly value: V }[];
}

export function compileVerbs<V>(
  lists: { remove: readonly string[]; rename: readonly string[]; replace: readonly string[]; add: readonly string[]; append: readonly string[] },
  /** compiles an entry's value; `index` is the entry's position in its list */
  value: (text: string, verb: 'replace' | 'add' | 'append', index: number) => V,
): Verbs<V> {
  // an entry with an empty value does nothing (Kong's iterator yields no value for it)
  const valued = (verb: 'replace' | 'add' | 'append') => lists[verb].flatMap((entry, i) => {
    const p = splitPair(entry);
    return p.value === '' ? [] : [{ name: p.name, value: value(p.value, verb, i) }];
  });
  return {
    remove: lists.remove,
    rename: lists.rename.map(splitPair).filter((p) => p.value !== '').map((p) => ({ from: p.name, to: p.value })),
    replace: valued('replace'),
    add: valued('add'),
    append: valued('append'),
  };
}

export function isEmptyVerbs(v: Verbs<unknown>): boolean {
  return v.remove.length + v.rename.length + v.replace.length + v.add.length + v.append.length === 0;
}

/**
 * Kong's order: remove, rename, replace (only if present), add (only if absent), append
 * (another value). `render` produces a value per request (undefined skips that entry, as Kong
 * skips a number that does not parse); `skip` leaves names alone (fields the proxy owns).
 * Returns whether anything changed.
 */
export function applyVerbs<V, T>(
  verbs: Verbs<V>, map: FieldMap<T>, render: (v: V) => T | undefined, skip?: (name: string) => boolean,
): boolean {
  let changed = false;
  const valueOf = (v: V, then: (x: T) => void) => {
    const x = render(v);
    if (x === undefined) return;
    then(x); changed = true;
  };
  for (const name of verbs.remove) {
    if (skip?.(name) || !map.has(name)) continue;
    map.remove(name); changed = true;
  }
  for (const { from, to } of verbs.rename) {
    if (skip?.(from) || skip?.(to) || !map.has(from)) continue;
    map.rename(from, to); changed = true;
  }
  for (const { name, value } of verbs.replace) {
    if (!skip?.(name) && map.has(name)) valueOf(value, (x) => map.set(name, x));
  }
  for (const { name, value } of verbs.add) {
    if (!skip?.(name) && !map.has(name)) valueOf(value, (x) => map.set(name, x));
  }
  for (const { name, value } of verbs.append) {
    if (!skip?.(name)) valueOf(value, (x) => map.append(name, x));
  }
  return changed;
}
