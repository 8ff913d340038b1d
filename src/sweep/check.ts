import { readFileSync } from "node:fs";
import type { Capabilities, SplitCheck } from "../spec/capabilities.js";
import { checkCompatibility, checkNames } from "../spec/compat.js";
import { checkRunConfig } from "../spec/config-checks.js";
import type { KeyPath } from "../spec/diagnostics.js";
import { checkExtraUse } from "../spec/extra-use.js";
import { SCHEMA_URL, validateRunConfig } from "../spec/schema.js";
import { type JsonValue, type RunConfig, SEMANTIC_KEYS, type SemanticKey, type Spec } from "../spec/types.js";
import { attribute, type Finding, toProblems } from "./attribution.js";
import { type Atom, productSize, type SweepAxes } from "./axes.js";
import { cellAtoms, type Expansion } from "./expand.js";
import { getAt } from "./paths.js";
import { problem, type SweepProblem } from "./problems.js";
import { checkReferences, checkTableBaseline } from "./references.js";
import { canonicalOf, type PrepareSection } from "./sections.js";
import { show } from "./show.js";
import { checkTable } from "./table-check.js";
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
const COMBINATION: readonly SemanticKey[] = ["dataset", "labels", "detector", "method", "engine", "eval"];

export interface CellCheckOptions {
  maxRuns?: number;
  /** What the engine and the runner can do (exec/capabilities.ts); absent: features are not checked. */
  capabilities?: Capabilities;
  /** The data stage's check of each (dataset, labels) pair (data/split-check.ts); absent: not run. */
  splitCheck?: SplitCheck;
  /** Whether the base spec wrote a path (LoadedSpec.written); absent: only sweep values count as written. */
  written?: (path: KeyPath) => boolean;
  /**
   * The caller checks the base spec's own method × detector × labels × eval
   * (as `validate` does): leave out runs that use only the base spec's blocks
   * there, so a problem of the base is not reported twice.
   */
  baseChecked?: boolean;
}

/**
 * Whether a cell's config holds a value the person wrote at `path`: set by a
 * sweep value (at or above it), or written in the base spec where no sweep
 * value replaced the block above it.
 */
function writtenIn(atoms: readonly Atom[], base: ((path: KeyPath) => boolean) | undefined) {
  return (path: KeyPath): boolean => {
    const over = atoms
      .filter(
        (a) => [a.section, ...a.rel].every((p, i) => String(path[i]) === p) && a.rel.length < path.length,
      )
      .sort((a, b) => b.rel.length - a.rel.length)[0];
    if (over) return getAt(over.value, path.slice(over.rel.length + 1).map(String)) !== undefined;
    return base?.(path) ?? false;
  };
}

/**
 * The run-config checks (spec/config-checks.ts) once per distinct combination
 * of blocks, and the data stage's split check once per distinct (dataset,
 * labels) pair: problems are attributed to the sweep value, or the spec line,
 * behind them.
 */
function checkConfigs(expansion: Expansion, findings: Map<string, Finding>, options: CellCheckOptions): void {
  const seedIdx = SEMANTIC_KEYS.indexOf("seed");
  const datasetIdx = SEMANTIC_KEYS.indexOf("dataset");
  const labelsIdx = SEMANTIC_KEYS.indexOf("labels");
  const varying = SEMANTIC_KEYS.map((_, i) => i).filter(
    (i) => i !== seedIdx && expansion.sections.entries(SEMANTIC_KEYS[i]!).length > 1,
  );
  const seen = new Set<string>();
  const pairs = new Set<string>();
  for (const cell of expansion.cells) {
    let id = "";
    for (const i of varying) id += `${cell.sections[i]!.id},`;
    if (seen.has(id)) continue;
    seen.add(id);
    const atoms = cellAtoms(expansion, cell);
    const config = cell.config as unknown as { [k: string]: JsonValue };
    const found = checkRunConfig(config, {
      written: writtenIn(atoms, options.written),
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
    });
    for (const d of found) attribute(findings, d, atoms, "config");
    const dataset = cell.sections[datasetIdx]!;
    const labels = cell.sections[labelsIdx]!;
    const pair = `${dataset.id},${labels.id}`;
    if (!options.splitCheck || pairs.has(pair)) continue;
    pairs.add(pair);
    // A block the schema refused is reported once, by the schema, not again by the data stage.
    if (dataset.diagnostics.length > 0 || labels.diagnostics.length > 0) continue;
    const dataAtoms = atoms.filter((a) => a.section === "dataset" || a.section === "labels");
    // The compat table (spec/compat.ts) states some of the data stage's rules too: one report per key.
    const reported = new Set(
      [...found, ...checkNames(config), ...checkCompatibility(config)].map((d) => d.path.join(".")),
    );
    for (const p of options.splitCheck(cell.config.dataset, cell.config.labels)) {
      if (p.path.length > 0 && reported.has(p.path.join("."))) continue;
      const d = { path: p.path.length > 0 ? p.path : ["labels"], message: p.message, at: "value" as const };
      attribute(findings, d, dataAtoms, "config");
    }
  }
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
    // Only blocks that take more than one value tell combinations apart.
    const varying = index.filter((i) => expansion.sections.entries(SEMANTIC_KEYS[i]!).length > 1);
    const seen = new Set<string>();
    for (const cell of expansion.cells) {
      let id = "";
      for (const i of varying) id += `${cell.sections[i]!.id},`;
      if (seen.has(id)) continue;
      seen.add(id);
      const isBase = COMBINATION.every((k, j) => cell.sections[index[j]!] === expansion.sections.base[k]);
      if (isBase && options.baseChecked) continue;
      const config = cell.config as unknown as { [k: string]: JsonValue };
      const found = [...checkNames(config), ...checkCompatibility(config), ...checkExtraUse(config)];
      const atoms = cellAtoms(expansion, cell).filter((a) =>
        (COMBINATION as readonly string[]).includes(a.section),
      );
      for (const d of found) attribute(findings, d, atoms, "combination");
    }
  }
  checkConfigs(expansion, findings, options);
  const problems = toProblems(findings);

  problems.push(...checkReferences(spec, expansion));
  problems.push(...checkTable(spec, expansion, buildVocabulary(loadSchema(), spec)));
  problems.push(...checkTableBaseline(spec, expansion));

  if (expansion.cells.length === 0 && expansion.problems.length === 0) {
    problems.push(
      problem(["sweep", "exclude"], "key", "the exclude rules drop every run, so nothing would be planned"),
    );
  }
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  if (expansion.cells.length > maxRuns) problems.push(capProblem(expansion.cells.length, maxRuns, "in all"));
  return problems;
}
