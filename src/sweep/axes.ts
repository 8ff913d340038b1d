import { formatKeyPath, type KeyPath } from "../spec/diagnostics.js";
import type { JsonValue, SemanticKey, Spec, SweepSpec } from "../spec/types.js";
import { type DottedPath, frozenCopy, splitPath } from "./paths.js";
import { problem, type SweepProblem } from "./problems.js";

// Reads `sweep:` into axes of the product and the extra cells of `include`.
// Order (deterministic, independent of how the YAML is formatted): grid axes in
// the order written, then zip groups in the order written, then folds, then
// seeds; the last axis varies fastest, so the seeds of one configuration are
// adjacent in the plan, as they are in a mean ± std table.

export const SEED_PATH = "seed";
export const FOLD_PATH = "labels.fold";

/** One value assigned to one dotted path; the unit cells are made of. */
export interface Atom {
  path: DottedPath;
  /** First part of the path: the section of the run config it changes. */
  section: string;
  /** The rest of the path, inside the section ([] sets the whole section). */
  rel: readonly string[];
  /** Frozen copy of the sweep value. */
  value: JsonValue;
  /** Unique name of this atom (axis step or include entry), used to intern sections. */
  token: string;
  /** Where the value is written in the spec (a `seeds: 5` count: the count). */
  origin: KeyPath;
  /** Where the path is written (the key of the list or of the include entry). */
  keyOrigin: KeyPath;
  /** Number of values of the atom's axis (0 for an include entry). */
  axisSize: number;
}

export type AxisKind = "grid" | "zip" | "folds" | "seeds";

export interface Axis {
  kind: AxisKind;
  /** Paths this axis sets (a zip group sets several). */
  paths: DottedPath[];
  /** Where the axis is declared (the key of its list). */
  origin: KeyPath[];
  /** steps[i] = the atoms of the i-th value of this axis (one per path). */
  steps: Atom[][];
}

export interface IncludeEntry {
  index: number;
  atoms: Atom[];
  /** Whether the entry is crossed with sweep.folds / sweep.seeds (not when it sets them itself). */
  crossFolds: boolean;
  crossSeeds: boolean;
}

export interface ExcludeRule {
  index: number;
  terms: { path: DottedPath; parts: string[]; anyOf: JsonValue[]; origin: KeyPath }[];
}

export interface SweepAxes {
  axes: Axis[];
  includes: IncludeEntry[];
  excludes: ExcludeRule[];
  problems: SweepProblem[];
}

function atom(path: DottedPath, value: JsonValue, token: string, origin: KeyPath, keyOrigin: KeyPath): Atom {
  const parts = splitPath(path);
  return {
    path,
    section: parts[0]!,
    rel: parts.slice(1),
    value: frozenCopy(value),
    token,
    origin,
    axisSize: 0,
    keyOrigin,
  };
}

/** `seeds: 3` → [0, 1, 2]; `folds: 3` → [1, 2, 3]; lists as written. */
function countOrList(
  raw: number | number[] | undefined,
  first: number,
  origin: KeyPath,
  what: string,
  problems: SweepProblem[],
): number[] | undefined {
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) {
    if (raw.length === 0)
      problems.push(problem(origin, "value", `${what}: the list is empty, so no run would be planned`));
    return raw;
  }
  if (!Number.isInteger(raw) || raw < 1) {
    problems.push(
      problem(origin, "value", `${what}: expected a count ≥ 1 or a list, got ${JSON.stringify(raw)}`),
    );
    return undefined;
  }
  if (raw > MAX_COUNT) {
    // Refused before a value is made: `seeds: 1e9` must not exhaust memory on its way to the plan cap.
    problems.push(
      problem(
        origin,
        "value",
        `${what}: ${raw} is more than any plan can hold (at most ${MAX_COUNT.toLocaleString("en-US")})`,
      ),
    );
    return undefined;
  }
  return Array.from({ length: raw }, (_, i) => first + i);
}

/** Largest seeds/folds count read at all (plans are capped far below it, see check.ts). */
const MAX_COUNT = 1_000_000;

export function readSweep(spec: Pick<Spec, "sweep">): SweepAxes {
  const sweep: SweepSpec = spec.sweep ?? {};
  const problems: SweepProblem[] = [];
  const axes: Axis[] = [];
  const owner = new Map<DottedPath, KeyPath>();

  const claim = (path: DottedPath, origin: KeyPath): void => {
    const first = owner.get(path);
    if (first) {
      problems.push(
        problem(origin, "key", `${path} is swept twice; it is already swept at ${formatKeyPath(first)}`),
      );
    } else owner.set(path, origin);
  };

  for (const [path, values] of Object.entries(sweep.grid ?? {})) {
    const origin: KeyPath = ["sweep", "grid", path];
    claim(path, origin);
    if (values.length === 0)
      problems.push(problem(origin, "value", `${path}: no values, so no run would be planned`));
    const a = axes.length;
    axes.push({
      kind: "grid",
      paths: [path],
      origin: [origin],
      steps: values.map((v, i) => [atom(path, v, `${a}.0.${i}`, [...origin, i], origin)]),
    });
  }

  (sweep.zip ?? []).forEach((group, g) => {
    const entries = Object.entries(group);
    const a = axes.length;
    const origins = entries.map(([path]) => ["sweep", "zip", g, path] as KeyPath);
    entries.forEach(([path], j) => {
      claim(path, origins[j]!);
    });
    const [firstPath, firstValues] = entries[0] ?? ["", []];
    let length = firstValues.length;
    entries.forEach(([path, values], j) => {
      if (values.length !== firstValues.length) {
        problems.push(
          problem(
            origins[j]!,
            "key",
            `zip group ${g} moves its axes together, so their lists need equal lengths: ` +
              `${path} has ${values.length} value${values.length === 1 ? "" : "s"}, ${firstPath} has ${firstValues.length}`,
          ),
        );
      }
      length = Math.min(length, values.length);
    });
    if (entries.length > 0 && firstValues.length === 0) {
      problems.push(problem(origins[0]!, "value", `${firstPath}: no values, so no run would be planned`));
    }
    axes.push({
      kind: "zip",
      paths: entries.map(([path]) => path),
      origin: origins,
      steps: Array.from({ length }, (_, i) =>
        entries.map(([path, values], j) =>
          atom(path, values[i]!, `${a}.${j}.${i}`, [...origins[j]!, i], origins[j]!),
        ),
      ),
    });
  });

  const folds = countOrList(sweep.folds, 1, ["sweep", "folds"], "sweep.folds", problems);
  if (folds) {
    claim(FOLD_PATH, ["sweep", "folds"]);
    const a = axes.length;
    const literal = Array.isArray(sweep.folds);
    axes.push({
      kind: "folds",
      paths: [FOLD_PATH],
      origin: [["sweep", "folds"]],
      steps: folds.map((f, i) => [
        atom(FOLD_PATH, f, `${a}.0.${i}`, literal ? ["sweep", "folds", i] : ["sweep", "folds"], [
          "sweep",
          "folds",
        ]),
      ]),
    });
  }
  const seeds = countOrList(sweep.seeds, 0, ["sweep", "seeds"], "sweep.seeds", problems);
  if (seeds) {
    claim(SEED_PATH, ["sweep", "seeds"]);
    const a = axes.length;
    const literal = Array.isArray(sweep.seeds);
    axes.push({
      kind: "seeds",
      paths: [SEED_PATH],
      origin: [["sweep", "seeds"]],
      steps: seeds.map((s, i) => [
        atom(SEED_PATH, s, `${a}.0.${i}`, literal ? ["sweep", "seeds", i] : ["sweep", "seeds"], [
          "sweep",
          "seeds",
        ]),
      ]),
    });
  }

  const includes: IncludeEntry[] = (sweep.include ?? []).map((entry, index) => {
    const paths = Object.keys(entry);
    return {
      index,
      atoms: paths.map((path, k) => {
        const origin: KeyPath = ["sweep", "include", index, path];
        return atom(path, entry[path]!, `i${index}.${k}`, origin, origin);
      }),
      crossFolds: !paths.includes(FOLD_PATH),
      crossSeeds: !paths.includes(SEED_PATH),
    };
  });

  const excludes: ExcludeRule[] = (sweep.exclude ?? []).map((rule, index) => ({
    index,
    terms: Object.entries(rule).map(([path, value]) => ({
      path,
      parts: splitPath(path),
      // A list matches any of its members (METHODS-independent sweep rule, DESIGN.md "sweep").
      anyOf: Array.isArray(value) ? value : [value],
      origin: ["sweep", "exclude", index, path],
    })),
  }));

  for (const axis of axes)
    for (const step of axis.steps) for (const a of step) a.axisSize = axis.steps.length;
  return { axes, includes, excludes, problems };
}

/** Number of product cells before include/exclude (a number, possibly huge). */
export function productSize(axes: readonly Axis[]): number {
  return axes.reduce((n, axis) => n * axis.steps.length, 1);
}

export function isSemanticSection(section: string, keys: readonly SemanticKey[]): section is SemanticKey {
  return (keys as readonly string[]).includes(section);
}
