import type { RunConfig, SplitFiles } from "../spec/types.js";
import { canonicalJson } from "../util/canonical-json.js";
import { UserError } from "../util/errors.js";
import { DatasetLoader, type ImageLocation } from "./dataset-source.js";
import { identifySplit, type PrepareOptions, prepareSplit, type SplitArtifact } from "./prepare-split.js";
import { outputOf } from "./split-loader.js";

/** The files a run's trainer reads, by role (see SplitFiles in spec/types.ts). */
export type SplitPaths = SplitFiles;

export function splitPaths(artifact: SplitArtifact): SplitPaths {
  const out: SplitPaths = {};
  const dir = (o: { images: ImageLocation } | undefined) =>
    o?.images.kind === "dir" ? o.images.root : undefined;
  const set = (key: keyof SplitPaths, value: string | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  const labeled = outputOf(artifact, "labeled");
  set("annotations", labeled?.path);
  set("images", dir(labeled));
  set("unlabeled", outputOf(artifact, "unlabeled")?.path);
  const unlabeledExtra = outputOf(artifact, "unlabeled_extra");
  set("unlabeled_extra", unlabeledExtra?.path);
  set("unlabeled_extra_images", dir(unlabeledExtra));
  const extra = outputOf(artifact, "extra");
  set("extra", extra?.path);
  set("extra_images", dir(extra));
  set("multilabel", outputOf(artifact, "multilabel")?.path);
  set("holdout", outputOf(artifact, "holdout")?.path);
  set("mmdet_labeled", outputOf(artifact, "mmdet_labeled")?.path);
  set("mmdet_unlabeled", outputOf(artifact, "mmdet_unlabeled")?.path);
  set("eval_annotations", artifact.eval?.path);
  set("eval_images", dir(artifact.eval));
  return out;
}

export interface PreparedSplits {
  /** One artifact per distinct (dataset, labels) pair, in first-seen order. */
  artifacts: SplitArtifact[];
  /** For each run, the index of its artifact in `artifacts`. */
  runArtifact: number[];
  /**
   * The split's content address (see identifySplit) of any run config whose
   * (dataset, labels) pair was prepared, else null: pass it to the sweep's
   * planSpec as `splitHash`. The manifest hash is recorded beside it in run.json.
   */
  hashFor(config: Pick<RunConfig, "dataset" | "labels">): string | null;
  /** The files of a prepared run config's split (empty for a pair that was not prepared). */
  filesFor(config: Pick<RunConfig, "dataset" | "labels">): SplitPaths;
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
      return i === undefined ? null : (artifacts[i] as SplitArtifact).key;
    },
    filesFor: (config) => {
      const i = index.get(canonicalJson({ dataset: config.dataset, labels: config.labels }));
      return i === undefined ? {} : splitPaths(artifacts[i] as SplitArtifact);
    },
  };
}

/**
 * The split identities of a list of runs without deriving or writing a split:
 * what `labelsweep plan`, `status` and `table` key runs with. Equal to the
 * `hashFor` of prepareSplitsForRuns for the same runs.
 */
export async function identifySplitsForRuns(
  runs: readonly Pick<RunConfig, "dataset" | "labels">[],
  options: PrepareOptions & { tolerateMissing?: boolean } = {},
): Promise<{ hashFor(config: Pick<RunConfig, "dataset" | "labels">): string | null; problems: string[] }> {
  const loader = options.loader ?? new DatasetLoader();
  const keys = new Map<string, string | null>();
  const problems: string[] = [];
  for (const run of runs) {
    const id = canonicalJson({ dataset: run.dataset, labels: run.labels });
    if (keys.has(id)) continue;
    try {
      keys.set(id, (await identifySplit(run.dataset, run.labels, { ...options, loader })).key);
    } catch (err) {
      // plan may look at a spec whose data lives elsewhere (a cluster): say so, key without the split.
      if (!options.tolerateMissing || !(err instanceof UserError)) throw err;
      keys.set(id, null);
      if (!problems.includes(err.message)) problems.push(err.message);
    }
  }
  return {
    hashFor: (config) => keys.get(canonicalJson({ dataset: config.dataset, labels: config.labels })) ?? null,
    problems,
  };
}
