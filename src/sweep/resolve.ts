import { dirname, resolve } from "node:path";
import { SpecError } from "../spec/diagnostics.js";
import type { LoadOptions } from "../spec/load.js";
import { loadSpec } from "../spec/load.js";
import type { RunConfig, Spec, SplitFiles } from "../spec/types.js";
import { codeVersion } from "./code-version.js";
import { checkSweep, keyExpansion, type Plan } from "./plan.js";
import { defaultResultsDir } from "./project.js";
import type { CodeVersion } from "./run-key.js";
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
}

/**
 * Loads and plans a spec with the split identities in its run keys, and reads
 * every run's status.
 */
export async function resolveSweep(specPath: string, options: ResolveOptions): Promise<ResolvedSweep> {
  const loaded = loadSpec(specPath, { set: options.set ?? [], sweep: options.sweep ?? [] });
  const spec = loaded.spec;
  const resultsDir = resolve(options.resultsDir ?? defaultResultsDir(specPath));
  const code = await codeVersion(dirname(resolve(specPath)), {
    exclude: [...loaded.files, resultsDir],
    specDirs: [dirname(resolve(specPath))],
  });
  // Check and expand once; splits are identified (or prepared) per distinct
  // (dataset, labels) pair — blocks are shared between cells, so identity dedupes them.
  const { expansion, diagnostics } = checkSweep(spec, {
    locate: loaded.locate,
    baseChecked: false,
    ...(options.maxRuns === undefined ? {} : { maxRuns: options.maxRuns }),
  });
  if (!expansion || diagnostics.length > 0) throw new SpecError(diagnostics);
  const configs: RunConfig[] = [];
  const seen = new Map<object, Set<object>>();
  for (const cell of expansion.cells) {
    const { dataset, labels } = cell.config;
    const labelsSeen = seen.get(dataset) ?? new Set<object>();
    seen.set(dataset, labelsSeen);
    if (labelsSeen.has(labels)) continue;
    labelsSeen.add(labels);
    configs.push(cell.config);
  }
  const ctx = { experiment: spec.name, resultsDir };
  const splits = options.prepare ? await options.splits.prepare(configs, ctx) : undefined;
  const identified = splits
    ? { hashFor: splits.hashFor, problems: [] as string[] }
    : await options.splits.identify(configs, ctx);
  const plan = keyExpansion(spec, expansion, { code, splitHash: identified.hashFor });
  const statuses = readRunStatuses(
    resultsDir,
    plan.experiment,
    plan.runs.map((r) => r.key),
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
