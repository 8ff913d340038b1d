import type { DatasetSpec, LabelsSpec } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import { prepareActiveCycle } from "./active-split.js";
import { DatasetLoader } from "./dataset-source.js";
import { type PrepareOptions, prepareSplit, type SplitArtifact, useImageFiles } from "./prepare-split.js";
import type { ResolvedShapesSpec } from "./shapes/shapes-spec.js";
import { loadSplitOutput, outputOf } from "./split-loader.js";

// The split of cycle k of an active-learning chain: the `active` artifact
// (cycle 0's initial set) grown by the selections of cycles 0 … k−1, each step
// a child artifact of the one before (active-split.ts), so every cycle's split
// is content-addressed by its parent's hash and its selection. Cached: the
// same chain of selections gives the same folders.

export async function prepareChainSplit(
  dataset: DatasetSpec,
  labels: LabelsSpec,
  selections: readonly (readonly (number | string)[])[],
  cacheDir: string,
  options: PrepareOptions = {},
): Promise<SplitArtifact> {
  if (labels.protocol !== "active") throw new UserError(`labels.protocol ${labels.protocol} has no cycles`);
  const loader = options.loader ?? new DatasetLoader();
  const { shapesImages, ...rest } = options;
  let artifact = await prepareSplit(dataset, labels, cacheDir, { ...rest, loader });
  for (const selected of selections) {
    artifact = await prepareActiveCycle(dataset, artifact, selected, cacheDir, { ...rest, loader });
  }
  const shapes = artifact.manifest.dataset.identity as { shapes?: ResolvedShapesSpec };
  if (shapesImages === "files" && shapes.shapes) await useImageFiles(artifact, shapes.shapes, cacheDir);
  return artifact;
}

/** The image ids a split labels, and those of its unlabelled pool (the candidates of the next acquisition). */
export async function splitImageIds(
  artifact: SplitArtifact,
): Promise<{ labeled: (number | string)[]; unlabeled: (number | string)[] }> {
  const ids = async (role: "labeled" | "unlabeled") => {
    const out = outputOf(artifact, role);
    if (!out) return [];
    const ds = await loadSplitOutput(out);
    return Array.from({ length: ds.images.count }, (_, i) => ds.images.ids[i]!);
  };
  return { labeled: await ids("labeled"), unlabeled: await ids("unlabeled") };
}
