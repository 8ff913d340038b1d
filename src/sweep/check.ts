import { readFileSync } from "node:fs";
import { checkCompatibility, checkNames } from "../spec/compat.js";
import { type Diagnostic, formatKeyPath, type KeyPath } from "../spec/diagnostics.js";
import { SCHEMA_URL, validateRunConfig } from "../spec/schema.js";
import { didYouMean } from "../spec/suggest.js";
import { type JsonValue, type RunConfig, SEMANTIC_KEYS, type SemanticKey, type Spec } from "../spec/types.js";
import { type Atom, FOLD_PATH, productSize, SEED_PATH, type SweepAxes } from "./axes.js";
import { cellAtoms, type Expansion } from "./expand.js";
import { getAt, splitPath } from "./paths.js";
import { problem, type SweepProblem } from "./problems.js";
import { canonicalOf, DISCRIMINATORS, type PrepareSection } from "./sections.js";
import { buildVocabulary, unknownPath } from "./vocabulary.js";

// Checks that need the sweep (issue 2, RUNNERS.md §4.8): sweep paths exist,
// seeds and folds are unique, the plan is under its cap, every distinct block
// a sweep makes passes the schema, every distinct method × detector × labels ×
// eval combination is compatible, and reference cells name runs the sweep
// makes. Every problem points at the sweep key or value that causes it.

export const DEFAULT_MAX_RUNS = 10_000;

/** Expansion is refused outright above this multiple of the cap (exclude rules rarely drop more). */
const EXPAND_HEADROOM = 4;

type Schema = { [key: string]: JsonValue };

let experimentSchema: Schema | undefined;
function loadSchema(): Schema {
  experimentSchema ??= JSON.parse(readFileSync(SCHEMA_URL, "utf8")) as Schema;
  return experimentSchema;
}

const plural = (n: number, what: string) => `${n.toLocaleString("en-US")} ${what}${n === 1 ? "" : "s"}`;

function show(value: JsonValue | undefined): string {
  const text = value === undefined ? "(unset)" : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

const isSemantic = (section: string) => (SEMANTIC_KEYS as readonly string[]).includes(section);

function duplicates(values: readonly JsonValue[]): [first: number, again: number][] {
  const firstAt = new Map<string, number>();
  const out: [number, number][] = [];
  values.forEach((v, i) => {
    const id = canonicalOf(v);
    const first = firstAt.get(id);
    if (first === undefined) firstAt.set(id, i);
    else out.push([first, i]);
  });
  return out;
}

/** Checks of the sweep as written, before any cell is made. */
export function checkSweepSpec(
  spec: Spec,
  axes: SweepAxes,
  options: { maxRuns?: number; schema?: Schema } = {},
): { problems: SweepProblem[]; tooLarge: boolean } {
  const problems: SweepProblem[] = [];
  const vocab = buildVocabulary(options.schema ?? loadSchema(), spec);
  const named = (path: string, where: KeyPath) => {
    if (!isSemantic(path.split(".")[0]!)) return; // expandSweep reports these
    const bad = unknownPath(path, vocab);
    if (bad) problems.push(problem(where, "key", bad.message, bad.hint));
  };
  for (const axis of axes.axes) {
    if (axis.kind !== "grid" && axis.kind !== "zip") continue;
    for (const [j, p] of axis.paths.entries()) named(p, axis.origin[j]!);
  }
  for (const inc of axes.includes) for (const a of inc.atoms) named(a.path, a.keyOrigin);
  for (const rule of axes.excludes) for (const t of rule.terms) named(t.path, t.origin);
  (spec.references ?? []).forEach((ref, i) => {
    for (const path of Object.keys(ref.cell ?? {})) named(path, ["references", i, "cell", path]);
  });

  // A value listed twice makes the same runs twice.
  for (const axis of axes.axes) {
    const tuples = axis.steps.map((step) => step.map((a) => a.value));
    for (const [first, again] of duplicates(tuples)) {
      const a = axis.steps[again]![0]!;
      const listed = axis.steps[again]!.map((x) => show(x.value)).join(", ");
      const what = axis.kind === "seeds" ? "seed " : axis.kind === "folds" ? "fold " : "";
      const where =
        axis.kind === "zip"
          ? `the values ${listed} are listed twice in this zip group`
          : `${what}${listed} is listed twice`;
      problems.push(
        problem(
          a.origin,
          "value",
          `${where} (items ${first} and ${again}); each run of the sweep must be different`,
        ),
      );
    }
  }

  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  const crossed = axes.axes.filter((a) => a.kind === "folds" || a.kind === "seeds");
  const perInclude = productSize(crossed);
  const bound = productSize(axes.axes) + axes.includes.length * perInclude;
  const tooLarge = bound > maxRuns * EXPAND_HEADROOM;
  if (tooLarge) problems.push(capProblem(bound, maxRuns, "before exclude rules"));
  return { problems, tooLarge };
}

function capProblem(count: number, maxRuns: number, when: string): SweepProblem {
  return problem(
    ["sweep"],
    "key",
    `the sweep makes ${plural(count, "run")} ${when}, over the cap of ${maxRuns.toLocaleString("en-US")}; ` +
      `shrink it, or pass --max-runs ${count} to plan that many`,
  );
}

/**
 * Validates and completes each distinct block with the experiment schema (the
 * same ajv validator, with defaults, that the loader uses), in a copy of the
 * base config so the base spec's frozen blocks are never written to.
 */
export function schemaPrepare(base: RunConfig): PrepareSection {
  return (section, value) => {
    const config = structuredClone({ ...base, [section]: value }) as RunConfig;
    const diagnostics = validateRunConfig(config).filter((d) => d.path[0] === section);
    return { value: config[section] as JsonValue, diagnostics };
  };
}

function atomParts(a: Atom): string[] {
  return [a.section, ...a.rel];
}

function isPrefix(prefix: readonly string[], path: KeyPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => String(path[i]) === p);
}

const isCounter = (a: Atom) => a.path === SEED_PATH || a.path === FOLD_PATH;

/** The same problem (place and text) found in several runs, with the sweep values they share. */
interface Finding {
  path: KeyPath;
  part: "key" | "value";
  described: string;
  hint: string | undefined;
  /** Sweep values present in every run that showed it (they are the context worth naming). */
  shared: Atom[];
  /** The sweep value it is pinned on, when it is the value itself (not a key inside it). */
  value: Atom | undefined;
}

/** The atom that sets the method's name in a cell: `method.name`, else a whole `method` block. */
function methodChoice(atoms: readonly Atom[]): Atom | undefined {
  return atoms.find((a) => a.path === "method.name") ?? atoms.find((a) => a.path === "method");
}

/**
 * Re-points a problem found in a cell's config at the sweep value that made
 * it: the value written at (or above) the problem's path; otherwise, for a
 * block check, the value that chose the block's variant; for a compatibility
 * check (method-centred rules, compat.ts), the method the sweep chose.
 */
function attribute(
  findings: Map<string, Finding>,
  d: Diagnostic,
  atoms: readonly Atom[],
  kind: "block" | "combination",
): void {
  const direct = atoms
    .filter((a) => isPrefix(atomParts(a), d.path))
    .sort((a, b) => b.rel.length - a.rel.length)[0];
  const section = String(d.path[0]);
  const disc = DISCRIMINATORS[section as SemanticKey];
  const sameSection = atoms.filter((a) => a.section === section);
  const cause =
    direct ??
    sameSection.find((a) => a.rel.length === 1 && a.rel[0] === disc) ??
    (kind === "combination" ? methodChoice(atoms) : undefined) ??
    sameSection[0] ??
    atoms.find((a) => !isCounter(a));
  const rest = cause && cause === direct ? d.path.slice(direct.rel.length + 1) : [];
  const path = cause ? [...cause.origin, ...rest] : d.path;
  const part = cause && rest.length === 0 ? "value" : "key";
  const described = cause ? `${formatKeyPath(d.path)}: ${d.message}` : d.message;
  const context = atoms.filter(
    (a) =>
      a !== cause &&
      !isCounter(a) &&
      a.axisSize !== 1 &&
      (kind === "combination" || a.section === cause?.section),
  );
  const id = JSON.stringify([path, described]);
  const seen = findings.get(id);
  if (seen) seen.shared = seen.shared.filter((a) => context.includes(a));
  else
    findings.set(id, {
      path,
      part,
      described,
      hint: d.hint,
      shared: context,
      value: rest.length === 0 ? cause : undefined,
    });
}

/** A problem every value of an axis has is the key's problem (e.g. a key no variant accepts): say it once. */
function collapseAxes(findings: Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    if (!f.value || f.value.axisSize < 2) continue;
    const id = JSON.stringify([f.value.keyOrigin, f.described]);
    groups.set(id, [...(groups.get(id) ?? []), f]);
  }
  const out: Finding[] = [];
  const merged = new Set<Finding>();
  for (const group of groups.values()) {
    const first = group[0]!;
    if (new Set(group.map((f) => f.value!.token)).size < first.value!.axisSize) continue;
    for (const f of group) merged.add(f);
    const shared = group.reduce((acc, f) => acc.filter((a) => f.shared.includes(a)), first.shared);
    out.push({ ...first, path: first.value!.keyOrigin, part: "key", shared, value: undefined });
  }
  return [...findings.filter((f) => !merged.has(f)), ...out];
}

function toProblems(findings: Map<string, Finding>): SweepProblem[] {
  return collapseAxes([...findings.values()]).map((f) => {
    const context = f.shared.map((a) => `${a.path} = ${show(a.value)}`).join(", ");
    return problem(
      f.path,
      f.part,
      context === "" ? f.described : `${f.described} (in runs with ${context})`,
      f.hint,
    );
  });
}

const COMBINATION: readonly SemanticKey[] = ["dataset", "labels", "detector", "method", "engine", "eval"];

export interface CellCheckOptions {
  maxRuns?: number;
  /**
   * The caller checks the base spec's own method × detector × labels × eval
   * (as `validate` does): leave out runs that use only the base spec's blocks
   * there, so a problem of the base is not reported twice.
   */
  baseChecked?: boolean;
}

/** Checks of the expanded cells. */
export function checkCells(spec: Spec, expansion: Expansion, options: CellCheckOptions = {}): SweepProblem[] {
  const findings = new Map<string, Finding>();

  // Schema problems of each distinct swept block (found once, by the preparer).
  for (const key of SEMANTIC_KEYS) {
    for (const entry of expansion.sections.entries(key)) {
      for (const d of entry.diagnostics) attribute(findings, d, entry.atoms, "block");
    }
  }

  // Method × detector × labels × eval, once per distinct combination.
  {
    const index = COMBINATION.map((k) => SEMANTIC_KEYS.indexOf(k));
    const seen = new Set<string>();
    for (const cell of expansion.cells) {
      let id = "";
      for (const i of index) id += `${cell.sections[i]!.id},`;
      if (seen.has(id)) continue;
      seen.add(id);
      const isBase = COMBINATION.every((k, j) => cell.sections[index[j]!] === expansion.sections.base[k]);
      if (isBase && options.baseChecked) continue;
      const config = cell.config as unknown as { [k: string]: JsonValue };
      const found = [...checkNames(config), ...checkCompatibility(config)];
      const atoms = cellAtoms(expansion, cell).filter((a) =>
        (COMBINATION as readonly string[]).includes(a.section),
      );
      for (const d of found) attribute(findings, d, atoms, "combination");
    }
  }
  const problems = toProblems(findings);

  problems.push(...checkReferences(spec, expansion));

  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  if (expansion.cells.length > maxRuns) problems.push(capProblem(expansion.cells.length, maxRuns, "in all"));
  return problems;
}

/** Each reference cell must name values the sweep produces, and a run that has them all. */
function checkReferences(spec: Spec, expansion: Expansion): SweepProblem[] {
  const problems: SweepProblem[] = [];
  const refs = spec.references ?? [];
  if (refs.length === 0) return problems;
  const cells = expansion.cells;
  // Per referenced path: the id of each cell's value, and the distinct values.
  const columns = new Map<
    string,
    { ids: Int32Array; values: Map<string, { id: number; value: JsonValue }> }
  >();
  const valueId = (v: JsonValue | undefined) => (v === undefined ? "u" : canonicalOf(v));
  for (const ref of refs) {
    for (const path of Object.keys(ref.cell ?? {})) {
      if (columns.has(path) || !isSemantic(path.split(".")[0]!)) continue;
      const parts = splitPath(path);
      const ids = new Int32Array(cells.length);
      const values = new Map<string, { id: number; value: JsonValue }>();
      cells.forEach((c, i) => {
        const v = getAt(c.config, parts);
        const key = valueId(v);
        let entry = values.get(key);
        if (!entry) {
          entry = { id: values.size, value: v ?? null };
          values.set(key, entry);
        }
        ids[i] = entry.id;
      });
      columns.set(path, { ids, values });
    }
  }
  refs.forEach((ref, r) => {
    const terms: { ids: Int32Array; id: number }[] = [];
    let complete = true;
    for (const [path, value] of Object.entries(ref.cell ?? {})) {
      const column = columns.get(path);
      if (!column) {
        complete = false;
        continue;
      }
      const hit = column.values.get(valueId(value));
      if (hit) {
        terms.push({ ids: column.ids, id: hit.id });
        continue;
      }
      complete = false;
      const produced = [...column.values.values()].map((e) => e.value);
      const strings = produced.filter((v): v is string => typeof v === "string");
      problems.push(
        problem(
          ["references", r, "cell", path],
          "value",
          `${path} = ${show(value)} is not a value the sweep produces; its runs have ` +
            `${produced.slice(0, 12).map(show).join(", ")}${produced.length > 12 ? ", …" : ""}`,
          typeof value === "string" ? didYouMean(value, strings) : undefined,
        ),
      );
    }
    if (!complete || terms.length === 0) return;
    for (let i = 0; i < cells.length; i++) if (terms.every((t) => t.ids[i] === t.id)) return;
    const desc = Object.entries(ref.cell)
      .map(([p, v]) => `${p} = ${show(v)}`)
      .join(", ");
    problems.push(
      problem(
        ["references", r, "cell"],
        "key",
        `no run of the sweep has ${desc} together (excluded, or never combined)`,
      ),
    );
  });
  return problems;
}
