import type { KeyPath, SourceLocation } from "./diagnostics.js";
import type { JsonValue } from "./types.js";

// A spec value that remembers where it was written. The loader builds one tree
// per YAML file, merges the trees of an `extends` chain and the command-line
// overrides, and keeps the merged tree to answer "which line is this key on?".

export interface LocatedScalar {
  kind: "scalar";
  value: null | boolean | number | string;
  loc: SourceLocation;
  keyLoc?: SourceLocation;
}

export interface LocatedMap {
  kind: "map";
  entries: Map<string, LocatedNode>;
  /** Keys an `extends` child removed with null, and where (so "missing key" errors point there). */
  removed?: Map<string, SourceLocation>;
  loc: SourceLocation;
  keyLoc?: SourceLocation;
}

export interface LocatedSeq {
  kind: "seq";
  items: LocatedNode[];
  loc: SourceLocation;
  keyLoc?: SourceLocation;
}

export type LocatedNode = LocatedScalar | LocatedMap | LocatedSeq;

export function toValue(node: LocatedNode): JsonValue {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "seq":
      return node.items.map(toValue);
    case "map": {
      const out: { [k: string]: JsonValue } = {};
      for (const [k, v] of node.entries) out[k] = toValue(v);
      return out;
    }
  }
}

/** Builds a located tree for a plain value (e.g. a --set override), every node at `loc`. */
export function fromValue(value: JsonValue, loc: SourceLocation): LocatedNode {
  if (Array.isArray(value)) return { kind: "seq", items: value.map((v) => fromValue(v, loc)), loc };
  if (value !== null && typeof value === "object") {
    const entries = new Map<string, LocatedNode>();
    for (const [k, v] of Object.entries(value)) entries.set(k, { ...fromValue(v, loc), keyLoc: loc });
    return { kind: "map", entries, loc };
  }
  return { kind: "scalar", value, loc };
}

function child(node: LocatedNode, part: string | number): LocatedNode | undefined {
  if (node.kind === "map") return node.entries.get(String(part));
  if (node.kind === "seq" && typeof part === "number") return node.items[part];
  return undefined;
}

/** The node at `path`, or the deepest written ancestor and how far the path got. */
export function nodeAt(root: LocatedNode, path: KeyPath): { node: LocatedNode; depth: number } {
  let node = root;
  let depth = 0;
  for (const part of path) {
    const next = child(node, part);
    if (!next) break;
    node = next;
    depth++;
  }
  return { node, depth };
}

export function locate(root: LocatedNode, path: KeyPath, part: "key" | "value" = "key"): SourceLocation {
  const { node, depth } = nodeAt(root, path);
  const next = path[depth];
  if (depth < path.length && node.kind === "map" && next !== undefined) {
    const removedAt = node.removed?.get(String(next));
    if (removedAt) return removedAt;
  }
  return part === "key" ? (node.keyLoc ?? node.loc) : node.loc;
}

/**
 * `extends` semantics: maps merge key by key, anything else (lists included)
 * is replaced by the overriding value, and an explicit null removes the key.
 */
export function mergeLocated(base: LocatedNode, over: LocatedNode): LocatedNode {
  if (base.kind !== "map" || over.kind !== "map") return over;
  const entries = new Map(base.entries);
  const removed = new Map(base.removed ?? []);
  for (const [key, value] of over.entries) {
    if (value.kind === "scalar" && value.value === null) {
      if (entries.delete(key)) removed.set(key, value.keyLoc ?? value.loc);
      continue;
    }
    const prev = entries.get(key);
    entries.set(key, prev ? mergeLocated(prev, value) : value);
  }
  return { kind: "map", entries, removed, loc: over.loc, keyLoc: over.keyLoc ?? base.keyLoc };
}

/** Sets `path` to `value` in a copy-on-write manner, creating maps as needed. */
export function setLocated(
  root: LocatedNode,
  path: readonly string[],
  value: LocatedNode,
  loc: SourceLocation,
): LocatedNode {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string, ...string[]];
  if (root.kind === "seq" && /^\d+$/.test(head)) {
    const index = Number(head);
    const items = [...root.items];
    const prev = items[index] ?? { kind: "map", entries: new Map(), loc };
    items[index] = setLocated(prev, rest, value, loc);
    return { ...root, items };
  }
  const entries = root.kind === "map" ? new Map(root.entries) : new Map<string, LocatedNode>();
  const prev: LocatedNode = entries.get(head) ?? { kind: "map", entries: new Map(), loc, keyLoc: loc };
  const next = setLocated(prev, rest, value, loc);
  // The overridden leaf points at the command line, the maps above it at the YAML.
  entries.set(head, { ...next, keyLoc: rest.length === 0 ? loc : (prev.keyLoc ?? loc) });
  return { kind: "map", entries, loc: root.loc, keyLoc: root.keyLoc };
}
