import { join } from "node:path";
import type { DatasetSpec, LabelsSpec, RunConfig, SplitFiles } from "../spec/types.js";
import { identifySplitsForRuns, prepareSplitsForRuns } from "./prepare-runs.js";
import { hasSplit, type SplitSpecProblem, splitSpecProblems } from "./split-check.js";

// The runner's splits come from the data stage: one content-addressed artifact
// per distinct (dataset, labels) pair, cached under results/<experiment>/splits/.
// Every dataset with annotations is split alike: the built-in names, and a name
// of the user's own with dataset.train (a COCO-format JSON). Only a dataset
// that names no annotations at all (an external trainer's own, with
// labels.protocol full) gets no split and no split hash.

type Ctx = { experiment: string; resultsDir: string };

/** The planner's split provider (sweep/resolve.ts SplitProvider, matched by shape). */
export interface DataSplits {
  identify(
    configs: readonly RunConfig[],
    ctx: Ctx,
  ): Promise<{ hashFor(config: RunConfig): string | null; problems: string[] }>;
  prepare(
    configs: readonly RunConfig[],
    ctx: Ctx,
  ): Promise<{ hashFor(config: RunConfig): string | null; filesFor(config: RunConfig): SplitFiles }>;
  /** What preparing the pair's split would refuse, found without reading a file (split-check.ts). */
  check(dataset: DatasetSpec, labels: LabelsSpec): SplitSpecProblem[];
}

export function dataSplits(baseDir: string): DataSplits {
  const builtin = (c: RunConfig) => hasSplit(c.dataset);
  return {
    check: splitSpecProblems,
    async identify(configs) {
      const found = await identifySplitsForRuns(configs.filter(builtin), { baseDir, tolerateMissing: true });
      return { hashFor: (c) => (builtin(c) ? found.hashFor(c) : null), problems: found.problems };
    },
    async prepare(configs, ctx) {
      const wanted = configs.filter(builtin);
      // External trainers read shapes images from files; the tfjs engine renders them on demand.
      const files = wanted.some((c) => "command" in c.engine && c.dataset.name === "shapes");
      const prepared = await prepareSplitsForRuns(wanted, join(ctx.resultsDir, ctx.experiment, "splits"), {
        baseDir,
        ...(files ? { shapesImages: "files" as const } : {}),
      });
      return {
        hashFor: (c) => (builtin(c) ? prepared.hashFor(c) : null),
        filesFor: (c) => (builtin(c) ? prepared.filesFor(c) : {}),
      };
    },
  };
}
