import type { JsonValue } from "../spec/types.js";

// Dotted key paths ("method.name", "labels.fraction") and the immutable
// updates the sweep makes with them. Cells share every object they do not
// change with the base spec, so objects reachable from a cell are frozen: a
// room that tries to mutate a run's config fails loudly instead of silently
// changing its neighbours (and their cached canonical JSON, see sections.ts).

export type DottedPath = string;

export function splitPath(path: DottedPath): string[] {
  return path.split(".");
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export { isObject as isJsonObject };

/** The value at `parts` inside `root`, or undefined when a step is missing or not an object. */
export function getAt(root: unknown, parts: readonly string[]): JsonValue | undefined {
  let node: unknown = root;
  for (const part of parts) {
    if (!isObject(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node as JsonValue;
}

/** Deep copy of plain JSON data, frozen all the way down. */
export function frozenCopy<T extends JsonValue | undefined>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return Object.freeze(value.map((v) => frozenCopy(v))) as T;
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, JsonValue>)[key];
    // defineProperty, not `out[key] =`: a "__proto__" key must stay data.
    if (v !== undefined)
      Object.defineProperty(out, key, {
        value: frozenCopy(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  }
  return Object.freeze(out) as T;
}

/** Why a value cannot be set at a path: a step along it holds a non-object. */
export class SetBlocked {
  constructor(
    /** Number of leading parts that lead to the non-object value. */
    readonly depth: number,
    readonly found: JsonValue,
  ) {}
}

/**
 * Returns a frozen copy of `root` with `value` at `parts`, copying only the
 * objects along the path (missing objects are created). `value` must already
 * be frozen. When a step along the path holds a non-object, nothing is set and
 * a SetBlocked names that step.
 */
export function setAt(
  root: JsonValue | undefined,
  parts: readonly string[],
  value: JsonValue,
): JsonValue | SetBlocked {
  return setFrom(root, parts, 0, value);
}

function setFrom(
  node: JsonValue | undefined,
  parts: readonly string[],
  i: number,
  value: JsonValue,
): JsonValue | SetBlocked {
  if (i === parts.length) return value;
  if (node !== undefined && !isObject(node)) return new SetBlocked(i, node);
  const key = parts[i]!;
  const child = setFrom(node?.[key], parts, i + 1, value);
  if (child instanceof SetBlocked) return child;
  return Object.freeze({ ...node, [key]: child });
}
