import { canonicalJson } from "../util/canonical-json.js";
import { UserError } from "../util/errors.js";
import type { SourceLocation } from "./diagnostics.js";
import { fromValue, type LocatedMap, type LocatedNode, toValue } from "./located.js";
import type { JsonValue } from "./types.js";

// `--set PATH=VALUE` on a path the spec's sweep also sets. The sweep used to
// win silently (issue 17 §4); now `--set` pins the axis, the same way for
// plan, run, table and every other command that loads a spec:
//   grid axis PATH         → the axis becomes [VALUE]
//   zip group with PATH    → only the group's rows whose PATH equals VALUE stay
//   seeds (PATH seed)      → seeds: [VALUE];  folds (PATH labels.fold) → folds: [VALUE]
//   include entries        → those that set PATH to another value are dropped
// A --set that only part of an axis would override (an axis sets a whole block
// above PATH, or a sub-path below it) cannot be pinned and is refused, naming the axis.

export interface Pin {
  /** What changed, for a note on stderr: `--set seed=1 pins sweep.seeds (was 0, 1, 2)`. */
  note: string;
}

const show = (v: JsonValue) => (typeof v === "string" ? v : JSON.stringify(v));
const same = (a: JsonValue, b: JsonValue) => canonicalJson(a) === canonicalJson(b);
const within = (outer: string, inner: string) => inner.startsWith(`${outer}.`);

function refuse(flag: string, path: string, axis: string, why: string): never {
  throw new UserError(
    `${flag}: ${axis} ${why}, so this value could not hold for every run. ` +
      `Sweep the path instead (--sweep ${path}=v1,v2 or ${path}=v1,v2), or change the sweep in the spec.`,
  );
}

function checkNesting(flag: string, path: string, axisPath: string, axis: string): void {
  if (within(axisPath, path))
    refuse(flag, path, axis, `sets whole ${axisPath} values, which replace ${path}`);
  if (within(path, axisPath)) refuse(flag, path, axis, `also sets ${axisPath}, part of ${path}`);
}

function listValues(node: LocatedNode): LocatedNode[] {
  return node.kind === "seq" ? node.items : [node];
}

/** Applies one --set to the sweep block of a merged spec tree (after the value itself was set). */
export function pinSweep(
  root: LocatedNode,
  path: string,
  value: JsonValue,
  loc: SourceLocation,
  flag: string,
): { root: LocatedNode; pins: Pin[] } {
  if (root.kind !== "map") return { root, pins: [] };
  const sweepNode = root.entries.get("sweep");
  if (sweepNode?.kind !== "map") return { root, pins: [] };
  const pins: Pin[] = [];
  const sweep: LocatedMap = { ...sweepNode, entries: new Map(sweepNode.entries) };
  const single = (v: JsonValue): LocatedNode => ({ kind: "seq", items: [fromValue(v, loc)], loc });

  const grid = sweep.entries.get("grid");
  if (grid?.kind === "map") {
    const entries = new Map(grid.entries);
    for (const [axisPath, values] of grid.entries) {
      const axis = `sweep.grid["${axisPath}"]`;
      checkNesting(flag, path, axisPath, axis);
      if (axisPath !== path) continue;
      const was = listValues(values).map((n) => show(toValue(n)));
      entries.set(axisPath, { ...single(value), keyLoc: values.keyLoc ?? loc });
      pins.push({
        note: `${flag} pins the sweep axis ${axis} to ${show(value)} (it listed ${was.join(", ")})`,
      });
    }
    sweep.entries.set("grid", { ...grid, entries });
  }

  const zip = sweep.entries.get("zip");
  if (zip?.kind === "seq") {
    const groups = zip.items.map((group, g) => {
      if (group.kind !== "map") return group;
      const axis = `sweep.zip[${g}]`;
      for (const axisPath of group.entries.keys()) checkNesting(flag, path, axisPath, axis);
      const column = group.entries.get(path);
      if (!column) return group;
      const rows = listValues(column)
        .map((n, i) => (same(toValue(n), value) ? i : -1))
        .filter((i) => i >= 0);
      if (rows.length === 0) {
        const listed = listValues(column).map((n) => show(toValue(n)));
        throw new UserError(
          `${flag}: ${axis} pairs ${path} with ${[...group.entries.keys()].filter((k) => k !== path).join(", ")}, ` +
            `and ${show(value)} is none of its values (${listed.join(", ")}); pick one of them, or change the zip in the spec.`,
        );
      }
      const entries = new Map<string, LocatedNode>();
      for (const [k, v] of group.entries) {
        const items = listValues(v);
        entries.set(k, {
          kind: "seq",
          items: rows.map((i) => items[i]!).filter(Boolean),
          loc: v.loc,
          keyLoc: v.keyLoc ?? loc,
        });
      }
      pins.push({
        note: `${flag} keeps the ${rows.length} of ${listValues(column).length} row(s) of ${axis} where ${path} is ${show(value)}`,
      });
      return { ...group, entries };
    });
    sweep.entries.set("zip", { ...zip, items: groups });
  }

  for (const [key, axisPath] of [
    ["seeds", "seed"],
    ["folds", "labels.fold"],
  ] as const) {
    const node = sweep.entries.get(key);
    if (!node) continue;
    checkNesting(flag, path, axisPath, `sweep.${key}`);
    if (path !== axisPath) continue;
    const raw = toValue(node);
    sweep.entries.set(key, { ...single(value), keyLoc: node.keyLoc ?? loc });
    pins.push({ note: `${flag} pins sweep.${key} to [${show(value)}] (it was ${show(raw)})` });
  }

  const include = sweep.entries.get("include");
  if (include?.kind === "seq") {
    const kept = include.items.filter((entry, i) => {
      if (entry.kind !== "map") return true;
      for (const k of entry.entries.keys()) checkNesting(flag, path, k, `sweep.include[${i}]`);
      const v = entry.entries.get(path);
      return v === undefined || same(toValue(v), value);
    });
    if (kept.length !== include.items.length) {
      pins.push({
        note: `${flag} drops ${include.items.length - kept.length} sweep.include entr${include.items.length - kept.length === 1 ? "y" : "ies"} that set ${path} to another value`,
      });
      sweep.entries.set("include", { ...include, items: kept });
    }
  }

  if (pins.length === 0) return { root, pins };
  const entries = new Map(root.entries);
  entries.set("sweep", sweep);
  return { root: { ...root, entries }, pins };
}
