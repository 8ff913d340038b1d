import { join } from "node:path";
import { BUILTIN_DATASETS } from "../spec/compat.js";
import type { RunConfig, SplitFiles } from "../spec/types.js";
import { identifySplitsForRuns, prepareSplitsForRuns } from "./prepare-runs.js";

// The runner's splits come from the data stage: one content-addressed artifact
// per distinct (dataset, labels) pair, cached under results/<experiment>/splits/.
// A dataset name the data stage does not know is an external trainer's own
// business (command engine): its runs get no split and no split hash.

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
}

export function dataSplits(baseDir: string): DataSplits {
  const builtin = (c: RunConfig) => (BUILTIN_DATASETS as readonly string[]).includes(c.dataset.name);
  return {
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
