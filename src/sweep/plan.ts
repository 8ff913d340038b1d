import { type Diagnostic, type Locator, SpecError } from "../spec/diagnostics.js";
import { type JsonValue, type RunConfig, SEMANTIC_KEYS, type Spec } from "../spec/types.js";
import { readSweep } from "./axes.js";
import { checkChains } from "./chain-checks.js";
import { expandChains } from "./chains.js";
import {
  type CellCheckOptions,
  checkCells,
  checkSweepSpec,
  DEFAULT_MAX_RUNS,
  schemaPrepare,
} from "./check.js";
import type { CodeIdentity } from "./code-identity.js";
import type { CodeVersion } from "./code-version.js";
import { checkEngines } from "./engine-checks.js";
import { type Cell, type Expansion, expandSweep } from "./expand.js";
import type { DottedPath } from "./paths.js";
import { toDiagnostics } from "./problems.js";
import { PlanKeyHasher } from "./run-key.js";

// spec → checked expansion → one PlannedRun per cell with its run key. Keys
// come from PlanKeyHasher, which hashes the per-block canonical JSON the
// expansion already made (see sections.ts): the same bytes runKeyPayload()
// gives, without re-serialising 100k configs.

export interface PlannedRun {
  /** Full run key (64 hex digits). */
  key: string;
  config: RunConfig;
  /** The swept values that name this run, aligned with Plan.columns (undefined: not set). */
  values: (JsonValue | undefined)[];
  /** Split-manifest hash that entered the key, or null. */
  split: string | null;
  /** Code identity hash that entered the key (Plan.identities has its manifest). */
  code: string;
  /** "product", or the index of the sweep.include entry that added the run. */
  source: Cell["source"];
  /** Keys of the runs whose outputs this run consumes (chains.ts); absent or empty: none. */
  parents?: string[];
  /** Active learning: the run's cycle in its chain. */
  cycle?: number;
  /** A run with parents: its key before chaining (runKey of its config, split, code). */
  own?: string;
}

export interface Plan {
  experiment: string;
  /** The git state of the spec's repository: provenance, not identity. */
  code: CodeVersion;
  /** The code identities of the plan's runs, by hash (what `plan --explain-key` prints). */
  identities: Map<string, CodeIdentity>;
  /** Swept paths (grid, zip, include-only, labels.fold, seed). */
  columns: DottedPath[];
  runs: PlannedRun[];
}

/** Split-manifest hash of a run (data stage); only its dataset and labels blocks may matter. */
export type SplitHash = (config: RunConfig) => string | null;

/** A run's code identity (code-identity.ts); only its engine and method blocks may matter. */
export type CodeHash = (config: RunConfig) => CodeIdentity;

export interface PlanOptions {
  code: CodeVersion;
  codeIdentity: CodeHash;
  locate?: Locator;
  /** Plans above this many runs are refused (default 10,000; `--max-runs`). */
  maxRuns?: number;
  splitHash?: SplitHash;
}

/**
 * Expands a loaded spec and runs every sweep check (paths, duplicates, cap,
 * per-block schema, compatibility, reference cells). Diagnostics are located
 * when `locate` is given; the expansion is null when the sweep as written is
 * already wrong (or far too large to expand).
 */
export function checkSweep(
  spec: Spec,
  options: { locate?: Locator; specDir?: string } & CellCheckOptions = {},
): { expansion: Expansion | null; diagnostics: Diagnostic[] } {
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  const axes = readSweep(spec);
  const early = checkSweepSpec(spec, axes, { maxRuns });
  if (axes.problems.length > 0 || early.problems.length > 0) {
    return {
      expansion: null,
      diagnostics: toDiagnostics([...axes.problems, ...early.problems], options.locate),
    };
  }
  const expansion = expandSweep(spec, { prepare: schemaPrepare(spec) });
  const problems = [
    ...expansion.problems,
    ...checkCells(spec, expansion, { ...options, maxRuns }),
    ...checkEngines(expansion, options.specDir === undefined ? {} : { specDir: options.specDir }),
    ...checkChains(expansion),
  ];
  return { expansion, diagnostics: toDiagnostics(problems, options.locate) };
}

/**
 * Expands and checks a loaded spec and computes every run's key. Throws a
 * SpecError with every problem found (located in the YAML) when the sweep is
 * wrong; nothing is written either way.
 */
export function planSpec(spec: Spec, options: PlanOptions): Plan {
  const { expansion, diagnostics } = checkSweep(spec, { ...options, baseChecked: false });
  if (!expansion || diagnostics.length > 0) throw new SpecError(diagnostics);
  return keyExpansion(spec, expansion, options);
}

/**
 * Keys the runs of a checked expansion (from checkSweep). A runner that must
 * prepare the splits of the runs' configs before it knows their hashes can
 * check once, prepare, then key, without expanding twice.
 */
export function keyExpansion(
  spec: Pick<Spec, "name">,
  expansion: Expansion,
  options: Pick<PlanOptions, "code" | "codeIdentity" | "splitHash">,
): Plan {
  // The split can only depend on the dataset and labels blocks: ask once per pair.
  const splitHash = options.splitHash;
  const splits = new Map<string, string | null>();
  const datasetIdx = SEMANTIC_KEYS.indexOf("dataset");
  const labelsIdx = SEMANTIC_KEYS.indexOf("labels");
  // The code identity can only depend on the engine and method blocks: ask once per pair.
  const codes = new Map<string, CodeIdentity>();
  const identities = new Map<string, CodeIdentity>();
  const engineIdx = SEMANTIC_KEYS.indexOf("engine");
  const methodIdx = SEMANTIC_KEYS.indexOf("method");

  const hasher = new PlanKeyHasher();
  const runs: PlannedRun[] = new Array(expansion.cells.length);
  expansion.cells.forEach((cell, n) => {
    let split: string | null = null;
    if (splitHash) {
      const pair = `${cell.sections[datasetIdx]!.id},${cell.sections[labelsIdx]!.id}`;
      if (!splits.has(pair)) splits.set(pair, splitHash(cell.config));
      split = splits.get(pair)!;
    }
    const pair = `${cell.sections[engineIdx]!.id},${cell.sections[methodIdx]!.id}`;
    let code = codes.get(pair);
    if (!code) {
      code = options.codeIdentity(cell.config);
      codes.set(pair, code);
      identities.set(code.hash, code);
    }
    const key = hasher.key(cell.sections, split, code.hash);
    runs[n] = { key, config: cell.config, values: cell.values, split, code: code.hash, source: cell.source };
  });
  // Active-learning cells become chains of cycle runs (dependent runs, chains.ts).
  const chained = expandChains(runs, expansion.columns);
  return {
    experiment: spec.name,
    code: options.code,
    identities,
    columns: chained.columns,
    runs: chained.runs,
  };
}
