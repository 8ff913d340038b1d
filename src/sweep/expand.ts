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
import { show } from "./show.js";

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
  /** How it was made: its index in the product (odometer order), or the sweep values of an include cell. */
  origin: number | readonly Atom[];
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

  const cells: Cell[] = [];
  const product = axes.axes;
  // Sections some axis or include entry sets; the others are the base block in every cell.
  const touched = keys
    .map((_, s) => s)
    .filter((s) =>
      [...product.flatMap((a) => a.steps[0] ?? []), ...axes.includes.flatMap((i) => i.atoms)].some(
        (a) => a.section === keys[s],
      ),
    );
  const seen = new Set<string>();

  // Which rules and terms ever matched a cell: a rule that drops nothing is a typo or a stale rule.
  const ruleHit = axes.excludes.map(() => false);
  const termHit = axes.excludes.map((rule) => rule.terms.map(() => false));
  const excluded = (config: RunConfig): boolean => {
    let drop = false;
    axes.excludes.forEach((rule, r) => {
      let all = true;
      rule.terms.forEach((t, k) => {
        const v = getAt(config, t.parts);
        if (t.anyOf.some((w) => sameValue(v, w))) termHit[r]![k] = true;
        else all = false;
      });
      if (all) {
        ruleHit[r] = true;
        drop = true;
      }
    });
    return drop;
  };

  /** Whether cells are checked against earlier equal ones (not needed when the product cannot repeat itself). */
  let dedupe = true;
  const identity = (sections: readonly SectionEntry[]) => {
    let id = "";
    for (const s of touched) id += `${sections[s]!.id},`;
    return id;
  };

  /** Adds the cell made of `sections` unless an exclude rule drops it or an equal cell exists. */
  const add = (sections: SectionEntry[], source: Cell["source"], origin: number | readonly Atom[]) => {
    const config = {} as Record<string, JsonValue>;
    for (let s = 0; s < keys.length; s++) {
      const value = sections[s]!.value;
      if (value !== undefined) config[keys[s]!] = value;
    }
    const frozen = Object.freeze(config) as unknown as RunConfig;
    if (axes.excludes.length > 0 && excluded(frozen)) return "excluded";
    if (dedupe) {
      const id = identity(sections);
      if (seen.has(id)) return "kept";
      seen.add(id);
    }
    cells.push({
      config: frozen,
      values: columnParts.map((p) => getAt(frozen, p)),
      sections,
      source,
      origin,
    });
    return "kept";
  };

  // The product: an odometer over the axes, the last one turning fastest. Each
  // section's block depends only on the steps of the axes that set it, so it
  // is looked up by those steps (a mixed-radix index) instead of rebuilt.
  const baseEntries = keys.map((k) => table.base[k]);
  const bySection = touched.map((s) => {
    const setting = product
      .map((a, ai) => ({ a, ai }))
      .filter(({ a }) => (a.steps[0] ?? []).some((x) => x.section === keys[s]));
    // The last axis varies fastest here too, so blocks are made in plan order.
    let size = 1;
    const strides = setting.map(() => 0);
    for (let k = setting.length - 1; k >= 0; k--) {
      strides[k] = size;
      size *= setting[k]!.a.steps.length;
    }
    return { s, setting, strides, size, cache: new Map<number, SectionEntry | null>() };
  });
  const blockAt = (sec: (typeof bySection)[number], steps: (a: number) => number): SectionEntry | null => {
    let at = 0;
    for (let k = 0; k < sec.setting.length; k++) at += steps(sec.setting[k]!.ai) * sec.strides[k]!;
    let entry = sec.cache.get(at);
    if (entry === undefined) {
      const atoms: Atom[] = [];
      for (const { a, ai } of sec.setting)
        for (const x of a.steps[steps(ai)]!) if (x.section === keys[sec.s]) atoms.push(x);
      entry = table.resolve(keys[sec.s]!, atoms);
      sec.cache.set(at, entry);
    }
    return entry;
  };
  const nonEmpty = product.every((a) => a.steps.length > 0);
  // When every axis sets a semantic block and each block's values are distinct
  // for distinct steps, no two product cells are equal: skip the equality check.
  if (nonEmpty && bySection.every((sec) => sec.size <= 1_000_000)) {
    let injective = product.every((a) => (a.steps[0] ?? []).some((x) => isSemanticSection(x.section, keys)));
    for (const sec of bySection) {
      const ids = new Set<number>();
      for (let at = 0; at < sec.size; at++) {
        const entry = blockAt(sec, (ai) => {
          const k = sec.setting.findIndex((x) => x.ai === ai);
          return Math.floor(at / sec.strides[k]!) % product[ai]!.steps.length;
        });
        if (entry === null || ids.has(entry.id)) injective = false;
        else ids.add(entry.id);
      }
    }
    dedupe = !injective;
  }
  if (nonEmpty) {
    const idx = product.map(() => 0);
    let linear = 0;
    for (; ; linear++) {
      const sections = baseEntries.slice();
      let dropped = false;
      for (const sec of bySection) {
        const entry = blockAt(sec, (ai) => idx[ai]!);
        if (entry === null) {
          dropped = true;
          break;
        }
        sections[sec.s] = entry;
      }
      if (!dropped) add(sections, "product", linear);
      let a = product.length - 1;
      while (a >= 0 && ++idx[a]! === product[a]!.steps.length) idx[a--] = 0;
      if (a < 0) break;
    }
  }

  /** Builds a cell from explicit atoms (include entries); "dropped" when an atom cannot be set. */
  const emit = (atoms: readonly Atom[], source: Cell["source"]): "kept" | "excluded" | "dropped" => {
    const sections = baseEntries.slice();
    for (const s of touched) {
      const entry = table.resolve(
        keys[s]!,
        atoms.filter((a) => a.section === keys[s]),
      );
      if (!entry) return "dropped";
      sections[s] = entry;
    }
    return add(sections, source, atoms);
  };

  // Include entries: extra cells, crossed with folds and seeds like every other cell.
  if (!dedupe && axes.includes.length > 0) {
    for (const cell of cells) seen.add(identity(cell.sections));
    dedupe = true;
  }
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

  axes.excludes.forEach((rule, r) => {
    if (ruleHit[r] || cells.length === 0) return;
    const missing = rule.terms.filter((_, k) => !termHit[r]![k]);
    for (const t of missing) {
      const values = t.anyOf.map((v) => show(v)).join(" or ");
      problems.push(
        problem(
          t.origin,
          "key",
          `no run of the sweep has ${t.path} = ${values}: this exclude rule drops nothing`,
        ),
      );
    }
    if (missing.length === 0) {
      problems.push(
        problem(
          ["sweep", "exclude", rule.index],
          "key",
          "no run of the sweep has all these values together: this exclude rule drops nothing",
        ),
      );
    }
  });
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

/** The sweep values a cell was made of, in axis order (decoded from its product index). */
export function cellAtoms(expansion: Pick<Expansion, "axes">, cell: Cell): Atom[] {
  if (typeof cell.origin !== "number") return [...cell.origin];
  const product = expansion.axes.axes;
  const out: Atom[][] = [];
  let rest = cell.origin;
  for (let a = product.length - 1; a >= 0; a--) {
    const n = product[a]!.steps.length;
    out.unshift(product[a]!.steps[rest % n]!);
    rest = Math.floor(rest / n);
  }
  return out.flat();
}
