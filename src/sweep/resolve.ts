import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Capabilities, SplitCheck } from "../spec/capabilities.js";
import { SpecError } from "../spec/diagnostics.js";
import type { LoadOptions } from "../spec/load.js";
import { loadSpec } from "../spec/load.js";
import type { RunConfig, Spec, SplitFiles } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import { chainStatuses } from "./chains.js";
import { type CodeIdentity, codeIdentities, codeRequest } from "./code-identity.js";
import { type CodeVersion, codeVersion } from "./code-version.js";
import { checkSweep, keyExpansion, type Plan } from "./plan.js";
import { defaultResultsDir } from "./project.js";
import { type RunStatus, readRunStatuses } from "./run-status.js";

// spec → checked, keyed plan with its splits, and every run's status: what
// `run`, `status`, `table`, `collect`, `train` and `report` all start from.
// It is planning, not execution, so it lives here, below the executor and the
// results room; the data stage is reached only through the SplitProvider the
// caller passes in (data/split-provider.ts gives the real one).

/** What the data stage gives the planner: each run's split identity and files. */
export interface SplitProvider {
  /** Each config's split identity, without deriving or writing a split (plan, status, table). */
  identify(
    configs: readonly RunConfig[],
    ctx: { experiment: string; resultsDir: string },
  ): Promise<{ hashFor(config: RunConfig): string | null; problems: string[] }>;
  /** Prepares (or finds in the cache) every split the configs need; hashFor equals identify's. */
  prepare(
    configs: readonly RunConfig[],
    ctx: { experiment: string; resultsDir: string },
  ): Promise<{
    hashFor(config: RunConfig): string | null;
    filesFor(config: RunConfig): SplitFiles;
  }>;
  /** What preparing a (dataset, labels) split would refuse, found without reading a file. */
  check?: SplitCheck;
}

export interface ResolvedSweep {
  spec: Spec;
  plan: Plan;
  statuses: RunStatus[];
  resultsDir: string;
  code: CodeVersion;
  /** Present when the splits were prepared (`run`), absent when only identified. */
  splits?: Awaited<ReturnType<SplitProvider["prepare"]>>;
  /** Splits that could not be identified (e.g. dataset files not on this machine). */
  splitProblems: string[];
  /** What the overrides did beyond setting values (e.g. a --set that pinned a sweep axis). */
  notes: string[];
  /** The spec file, absolute. */
  specFile: string;
}

export interface ResolveOptions extends LoadOptions {
  resultsDir?: string;
  maxRuns?: number;
  splits: SplitProvider;
  /** Prepare the splits (write them), not only identify them. */
  prepare?: boolean;
  /**
   * What the engine and the runner can do (exec/capabilities.ts): given by the
   * commands that plan or train (plan, run, train), which refuse a feature not
   * built yet; left out by those that read results (status, table, report).
   */
  capabilities?: Capabilities;
}

/**
 * Loads and plans a spec with the split identities in its run keys, and reads
 * every run's status.
 */
export async function resolveSweep(specPath: string, options: ResolveOptions): Promise<ResolvedSweep> {
  const loaded = loadSpec(specPath, { set: options.set ?? [], sweep: options.sweep ?? [] });
  const spec = loaded.spec;
  const resultsDir = resolve(options.resultsDir ?? defaultResultsDir(specPath));
  checkResultsDir(resultsDir);
  const specDir = dirname(resolve(specPath));
  const code = await codeVersion(specDir, { exclude: [resultsDir] });
  // Check and expand once; splits are identified (or prepared) per distinct
  // (dataset, labels) pair — blocks are shared between cells, so identity dedupes them.
  const { expansion, diagnostics } = checkSweep(spec, {
    locate: loaded.locate,
    written: loaded.written,
    specDir: dirname(resolve(specPath)),
    baseChecked: false,
    ...(options.splits.check ? { splitCheck: options.splits.check } : {}),
    ...(options.capabilities ? { capabilities: options.capabilities } : {}),
    ...(options.maxRuns === undefined ? {} : { maxRuns: options.maxRuns }),
  });
  if (!expansion || diagnostics.length > 0) throw new SpecError(diagnostics);
  const configs = distinct(expansion.cells, "dataset", "labels");
  // Code identities once per distinct (engine, method) pair: the trainer's repository is read once.
  const identities = await codeIdentities(distinct(expansion.cells, "engine", "method"), {
    specDir,
    // Results are written by the runs; spec files enter each key through their config.
    exclude: [...loaded.files, resultsDir],
    specDirs: [specDir],
  });
  const codeIdentity = (config: RunConfig): CodeIdentity => identities.get(codeRequest(config))!;
  const ctx = { experiment: spec.name, resultsDir };
  const splits = options.prepare ? await options.splits.prepare(configs, ctx) : undefined;
  const identified = splits
    ? { hashFor: splits.hashFor, problems: [] as string[] }
    : await options.splits.identify(configs, ctx);
  const plan = keyExpansion(spec, expansion, { code, codeIdentity, splitHash: identified.hashFor });
  // A run whose parent failed is `blocked` (dependent runs, chains.ts).
  const statuses = chainStatuses(
    plan.runs,
    readRunStatuses(
      resultsDir,
      plan.experiment,
      plan.runs.map((r) => r.key),
    ),
  );
  return {
    spec,
    plan,
    statuses,
    resultsDir,
    code,
    splitProblems: identified.problems,
    notes: loaded.notes,
    specFile: resolve(specPath),
    ...(splits ? { splits } : {}),
  };
}

/** One config per distinct pair of blocks (blocks are shared between cells, so identity dedupes them). */
function distinct(
  cells: readonly { config: RunConfig }[],
  a: "dataset" | "engine",
  b: "labels" | "method",
): RunConfig[] {
  const out: RunConfig[] = [];
  const seen = new Map<object, Set<object>>();
  for (const cell of cells) {
    const first = cell.config[a] as object;
    const second = cell.config[b] as object;
    const inner = seen.get(first) ?? new Set<object>();
    seen.set(first, inner);
    if (inner.has(second)) continue;
    inner.add(second);
    out.push(cell.config);
  }
  return out;
}

/** The results directory must be a folder (or not exist yet): say so before anything reads or writes it. */
function checkResultsDir(dir: string): void {
  let path = dir;
  // The first part of the path that exists must be a folder (results/x where results is a file, too).
  for (;;) {
    let info: ReturnType<typeof statSync> | undefined;
    try {
      info = statSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") {
        const up = dirname(path);
        if (up === path) return;
        path = up;
        continue;
      }
      if (code === "ENOTDIR")
        throw new UserError(`--results ${dir}: a part of the path is a file, not a folder`);
      throw err;
    }
    if (!info.isDirectory())
      throw new UserError(
        `--results ${dir}: ${path === dir ? "it" : path} is a file, not a folder for results`,
      );
    return;
  }
}
