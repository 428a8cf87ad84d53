// Every leaf field of a TypeBox/JSON schema as a YAML-style path (`edge.kong.services[].routes[].paths`):
// the list the field-coverage test and the README's Kong compatibility table are checked against.
import type { TSchema } from '@sinclair/typebox';

interface SchemaNode {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly anyOf?: readonly SchemaNode[];
}

/** Paths of the fields under `schema`; an array of objects adds `[]`, a union is walked through its object branches. */
export function schemaLeafPaths(schema: TSchema, prefix = ''): string[] {
  const out: string[] = [];
  walk(schema as SchemaNode, prefix, out);
  return out;
}

function walk(node: SchemaNode, path: string, out: string[]): void {
  const objects = objectBranches(node);
  if (objects.length === 0) { if (path !== '') out.push(path); return; }
  // a union of a scalar and an object (`service: NAME | {name, id}`) is itself a field, and so are its keys
  if (objects.length < (node.anyOf?.length ?? 1) && path !== '') out.push(path);
  for (const obj of objects) {
    const base = obj === node.items || node.items?.anyOf?.includes(obj) ? `${path}[]` : path;
    const entries = Object.entries(obj.properties ?? {});
    if (entries.length === 0 && path !== '') out.push(path);
    for (const [key, child] of entries) walk(child, base === '' ? key : `${base}.${key}`, out);
  }
}

function objectBranches(node: SchemaNode): SchemaNode[] {
  if (node.type === 'object' && node.properties !== undefined) return [node];
  if (node.type === 'array' && node.items !== undefined) return objectBranches(node.items).length ? objectBranches(node.items) : [];
  if (node.anyOf !== undefined) return node.anyOf.flatMap(objectBranches);
  return [];
}
