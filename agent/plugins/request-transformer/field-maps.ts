// FieldMap adapters over what the transformers edit: headers, query strings or forms, JSON objects.
import type { HeaderList } from '../plugin.js';
import type { FieldMap } from './pairs.js';

export function headerFields(h: HeaderList): FieldMap {
  return {
    has: (name) => h.has(name),
    remove: (name) => h.remove(name),
    rename(from, to) {
      const values = h.getAll(from);
      h.remove(from);
      h.remove(to);
      for (const v of values) h.append(to, v);
    },
    set: (name, value) => h.set(name, value),
    append: (name, value) => h.append(name, value),
  };
}

/** A query string or an application/x-www-form-urlencoded body. */
export function paramFields(p: URLSearchParams): FieldMap {
  return {
    has: (name) => p.has(name),
    remove: (name) => p.delete(name),
    rename(from, to) {
      const values = p.getAll(from);
      p.delete(from);
      p.delete(to);
      for (const v of values) p.append(to, v);
    },
    set: (name, value) => p.set(name, value),
    append: (name, value) => p.append(name, value),
  };
}

export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own data property, even for a name like "__proto__" (plain assignment would change the prototype). */
function put(o: JsonObject, name: string, value: unknown): void {
  Object.defineProperty(o, name, { value, enumerable: true, writable: true, configurable: true });
}

/** Kong's append on JSON: an array gets one more element, a scalar becomes [old, new], absent becomes [new]. */
export function appendJson(o: JsonObject, name: string, value: unknown): void {
  const cur = Object.hasOwn(o, name) ? o[name] : undefined;
  if (Array.isArray(cur)) cur.push(value);
  else put(o, name, cur === undefined ? [value] : [cur, value]);
}

/** Top-level keys of a JSON object. */
export function jsonFields(o: JsonObject): FieldMap<unknown> {
  return {
    has: (name) => Object.hasOwn(o, name),
    remove: (name) => { delete o[name]; },
    rename(from, to) {
      const v = o[from];
      delete o[from];
      put(o, to, v);
    },
    set: (name, value) => put(o, name, value),
    append: (name, value) => appendJson(o, name, value),
  };
}
