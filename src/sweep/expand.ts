import type { Diagnostic, Locator } from "../spec/diagnostics.js";
import { didYouMean } from "../spec/suggest.js";
import { type JsonValue, type RunConfig, SEMANTIC_KEYS, type SemanticKey, type Spec } from "../spec/types.js";
import {
  type Atom,
  type Axis,
  FOLD_PATH,
  type IncludeEntry,
  isSemanticSection,
  readSweep,
  SEED_PATH,
  type SweepAxes,
} from "./axes.js";
import { type DottedPath, getAt, splitPath } from "./paths.js";
import { problem, type SweepProblem, toDiagnostics } from "./problems.js";
import { canonicalOf, type PrepareSection, type SectionEntry, SectionTable } from "./sections.js";

// Expands a loaded Spec into the ordered list of its runs ("cells"):
//   product of the axes (grid, zip groups, folds, seeds; last fastest)
//   + include entries (each crossed with folds and seeds unless it sets them)
//   − cells matching an exclude rule (applied to every cell, include too)
//   − cells identical to an earlier one (same resolved config).
// Each cell carries its RunConfig (frozen; unchanged blocks are shared with
// the base spec) and the swept values that name it in `plan` and tables.

export interface Cell {
  config: RunConfig;
  /** The value of each column path in this run (undefined: the path is not set). */
  values: (JsonValue | undefined)[];
  /** The interned block of each semantic key (index = SEMANTIC_KEYS order). */
  sections: readonly SectionEntry[];
  /** "product", or the index of the sweep.include entry that added it. */
  source: "product" | number;
  /** The sweep values this cell was made of, in axis order. */
  atoms: readonly Atom[];
}

export interface Expansion {
  /** The swept paths, in display order: grid, zip, include-only paths, labels.fold, seed. */
  columns: DottedPath[];
  cells: Cell[];
  axes: SweepAxes;
  /** The distinct blocks of every semantic key (for checks that validate each once). */
  sections: SectionTable;
  diagnostics: Diagnostic[];
  /** Same problems, before locating (check.ts adds to them). */
  problems: SweepProblem[];
}

export interface ExpandOptions {
  locate?: Locator;
  /** Validates each distinct block once and fills its defaults the way the loader fills the base spec's. */
  prepare?: PrepareSection;
}

function sameValue(a: JsonValue | undefined, b: JsonValue): boolean {
  if (a === b) return true;
  if (a === undefined || typeof a !== "object" || typeof b !== "object" || a === null || b === null)
    return false;
  return canonicalOf(a) === canonicalOf(b);
}

function columnsOf(axes: readonly Axis[], includes: readonly IncludeEntry[]): DottedPath[] {
  const tail = [FOLD_PATH, SEED_PATH];
  const out: DottedPath[] = [];
  const add = (p: DottedPath) => {
    if (!out.includes(p) && !tail.includes(p)) out.push(p);
  };
  for (const axis of axes) axis.paths.forEach(add);
  for (const inc of includes) for (const a of inc.atoms) add(a.path);
  const all = [...axes.flatMap((a) => a.paths), ...includes.flatMap((i) => i.atoms.map((a) => a.path))];
  for (const p of tail) if (all.includes(p)) out.push(p);
  return out;
}

export function expandSweep(spec: Spec, options: ExpandOptions = {}): Expansion {
  const axes = readSweep(spec);
  const problems = [...axes.problems];
  const keys = SEMANTIC_KEYS as readonly SemanticKey[];

  // Only the run config can be swept: name, table, sweep … never reach a run.
  const semantic = (a: Atom): boolean => isSemanticSection(a.section, keys);
  const reported = new Set<string>();
  for (const a of [...axes.axes.flatMap((x) => x.steps[0] ?? []), ...axes.includes.flatMap((i) => i.atoms)]) {
    if (semantic(a) || reported.has(a.path)) continue;
    reported.add(a.path);
    problems.push(
      problem(
        a.keyOrigin,
        "key",
        `${a.path} is not part of a run's config; a sweep can set paths under ${keys.join(", ")}`,
        didYouMean(a.section, keys)?.replace(/"([^"]+)"/, (_, k: string) => `"${[k, ...a.rel].join(".")}"`),
      ),
    );
  }

  const base: RunConfig = {} as RunConfig;
  for (const k of keys) (base as Record<string, unknown>)[k] = spec[k];
  const table = new SectionTable(base, keys, options.prepare);
  const columns = columnsOf(axes.axes, axes.includes);
  const columnParts = columns.map(splitPath);
  const sectionIndex = new Map<string, number>(keys.map((k, i) => [k, i]));

  const cells: Cell[] = [];
  const seen = new Set<string>();
  const perSection: Atom[][] = keys.map(() => []);

  const excluded = (config: RunConfig): boolean =>
    axes.excludes.some((rule) =>
      rule.terms.every((t) => {
        const v = getAt(config, t.parts);
        return t.anyOf.some((w) => sameValue(v, w));
      }),
    );

  /** Builds the cell of `atoms` (in axis order); false when it is dropped. */
  const emit = (atoms: readonly Atom[], source: Cell["source"]): "kept" | "excluded" | "dropped" => {
    for (const list of perSection) list.length = 0;
    for (const a of atoms) {
      const s = sectionIndex.get(a.section);
      if (s !== undefined) perSection[s]!.push(a);
    }
    const sections: SectionEntry[] = [];
    const config = {} as Record<string, JsonValue>;
    let identity = "";
    for (let s = 0; s < keys.length; s++) {
      const entry = table.resolve(keys[s]!, perSection[s]!);
      if (!entry) return "dropped";
      sections.push(entry);
      if (entry.value !== undefined) config[keys[s]!] = entry.value;
      identity += `${entry.id},`;
    }
    const frozen = Object.freeze(config) as unknown as RunConfig;
    if (axes.excludes.length > 0 && excluded(frozen)) return "excluded";
    if (seen.has(identity)) return "kept";
    seen.add(identity);
    cells.push({
      config: frozen,
      values: columnParts.map((p) => getAt(frozen, p)),
      sections,
      source,
      atoms: [...atoms],
    });
    return "kept";
  };

  // The product: an odometer over the axes, the last one turning fastest.
  const product = axes.axes;
  if (product.every((a) => a.steps.length > 0)) {
    const idx = product.map(() => 0);
    const atoms: Atom[] = [];
    for (;;) {
      atoms.length = 0;
      for (let a = 0; a < product.length; a++) for (const at of product[a]!.steps[idx[a]!]!) atoms.push(at);
      emit(atoms, "product");
      let a = product.length - 1;
      while (a >= 0 && ++idx[a]! === product[a]!.steps.length) idx[a--] = 0;
      if (a < 0) break;
    }
  }

  // Include entries: extra cells, crossed with folds and seeds like every other cell.
  const foldAxis = product.find((a) => a.kind === "folds");
  const seedAxis = product.find((a) => a.kind === "seeds");
  for (const inc of axes.includes) {
    const folds = inc.crossFolds && foldAxis ? foldAxis.steps : [[]];
    const seeds = inc.crossSeeds && seedAxis ? seedAxis.steps : [[]];
    let made = 0;
    let kept = 0;
    for (const f of folds) {
      for (const s of seeds) {
        const r = emit([...inc.atoms, ...f, ...s], inc.index);
        if (r !== "dropped") made++;
        if (r === "kept") kept++;
      }
    }
    if (made > 0 && kept === 0) {
      problems.push(
        problem(
          ["sweep", "include", inc.index],
          "key",
          "every run this include entry adds is dropped again by sweep.exclude; remove one of the two",
        ),
      );
    }
  }

  problems.push(...table.problems);
  return {
    columns,
    cells,
    axes,
    sections: table,
    problems,
    diagnostics: toDiagnostics(problems, options.locate),
  };
}
