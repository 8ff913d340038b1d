// A run's split files (the runner's SplitFiles: COCO/LVIS JSON written by the
// data stage) read back as the engine's sample sources, pixels from the image
// folder or, for `shapes`, rendered on demand.

import {
  type DetectionDataset,
  type ImageLocation,
  imageSource,
  readCocoFile,
  resolveShapesSpec,
  type SplitPaths,
} from "../data/index.js";
import type { RunConfig, ShapesDatasetSpec } from "../spec/types.js";
import { NotImplementedError, UserError } from "../util/errors.js";
import { detectionSamples, multiLabelSamples } from "./dataset-samples.js";
import { TFJS_FEATURES } from "./methods/registry.js";
import type { TfjsRunInputs } from "./run-tfjs.js";

function images(config: RunConfig, dir: string | undefined, what: string): ImageLocation {
  if (dir) return { kind: "dir", root: dir };
  if (config.dataset.name === "shapes") {
    return { kind: "shapes", spec: resolveShapesSpec(config.dataset as ShapesDatasetSpec) };
  }
  throw new UserError(`this run's split names no image folder for its ${what} images`);
}

async function read(path: string | undefined, config: RunConfig, what: string): Promise<DetectionDataset> {
  if (!path) throw new UserError(`this run's split has no ${what} annotations`);
  if (config.dataset.name === "voc" && !TFJS_FEATURES.vocSplits) {
    throw new NotImplementedError("VOC datasets on the tfjs engine (it reads COCO/LVIS JSON splits)");
  }
  return readCocoFile(path, { format: config.dataset.name === "lvis" ? "lvis" : "coco" });
}

/** The engine's inputs for one run: labelled training samples, evaluation images, category ids. */
export async function splitInputs(config: RunConfig, files: SplitPaths): Promise<TfjsRunInputs> {
  // Never train without images the spec asked for (validate refuses this first).
  if (config.labels.extra !== undefined && !TFJS_FEATURES.extraImages) {
    throw new NotImplementedError("labels.extra images on the tfjs engine");
  }
  const train = await read(files.annotations, config, "labelled training");
  const evalDs = await read(files.eval_annotations, config, "evaluation");
  const trainImages = imageSource(images(config, files.images, "training"));
  const evalImages = imageSource(images(config, files.eval_images, "evaluation"));
  const categoryIds = train.categories.map((c) => c.id);
  const evalIds = evalDs.categories.map((c) => c.id);
  if (evalIds.join() !== categoryIds.join()) {
    throw new UserError(
      `training and evaluation annotations list different categories ([${categoryIds}] vs [${evalIds}])`,
    );
  }
  const classifier = config.detector.arch === "mlc-lite";
  return {
    categoryIds,
    labelled: classifier ? multiLabelSamples(train, trainImages) : detectionSamples(train, trainImages),
    eval: detectionSamples(evalDs, evalImages),
  };
}
