import type { RunConfig } from "../spec/types.js";
import { canonicalJson } from "../util/canonical-json.js";
import { DatasetLoader } from "./dataset-source.js";
import { type PrepareOptions, prepareSplit, type SplitArtifact } from "./prepare-split.js";

export interface PreparedSplits {
  /** One artifact per distinct (dataset, labels) pair, in first-seen order. */
  artifacts: SplitArtifact[];
  /** For each run, the index of its artifact in `artifacts`. */
  runArtifact: number[];
  /**
   * The split-manifest hash of any run config whose (dataset, labels) pair was
   * prepared, else null: pass it to the sweep's planSpec as `splitHash`.
   */
  hashFor(config: Pick<RunConfig, "dataset" | "labels">): string | null;
}

/**
 * Builds (or finds in the cache) every split a list of runs needs. Runs that
 * differ only in method, detector or training seed share one split; one
 * loader parses each input file once for all of them.
 */
export async function prepareSplitsForRuns(
  runs: readonly Pick<RunConfig, "dataset" | "labels">[],
  cacheDir: string,
  options: PrepareOptions = {},
): Promise<PreparedSplits> {
  const loader = options.loader ?? new DatasetLoader();
  const index = new Map<string, number>();
  const artifacts: SplitArtifact[] = [];
  const runArtifact: number[] = [];
  for (const run of runs) {
    const key = canonicalJson({ dataset: run.dataset, labels: run.labels });
    let i = index.get(key);
    if (i === undefined) {
      artifacts.push(await prepareSplit(run.dataset, run.labels, cacheDir, { ...options, loader }));
      i = artifacts.length - 1;
      index.set(key, i);
    }
    runArtifact.push(i);
  }
  return {
    artifacts,
    runArtifact,
    hashFor: (config) => {
      const i = index.get(canonicalJson({ dataset: config.dataset, labels: config.labels }));
      return i === undefined ? null : (artifacts[i] as SplitArtifact).hash;
    },
  };
}
