// A run's split files (the runner's SplitFiles: COCO/LVIS JSON written by the
// data stage) read back as the engine's sample sources, pixels from the image
// folder or, for `shapes`, rendered on demand.

import {
  type DetectionDataset,
  type ImageLocation,
  imageSource,
  readCocoFile,
  resolveShapesSpec,
  ShapesImages,
  type SplitPaths,
} from "../data/index.js";
import type { RunConfig, ShapesDatasetSpec } from "../spec/types.js";
import { NotImplementedError, UserError } from "../util/errors.js";
import { detectionSamples, multiLabelSamples } from "./dataset-samples.js";
import type { TfjsRunInputs } from "./run-tfjs.js";
import type { AuxChannels } from "./train/detection-task.js";

function images(config: RunConfig, dir: string | undefined, what: string): ImageLocation {
  if (dir) return { kind: "dir", root: dir };
  if (config.dataset.name === "shapes") {
    return { kind: "shapes", spec: resolveShapesSpec(config.dataset as ShapesDatasetSpec) };
  }
  throw new UserError(`this run's split names no image folder for its ${what} images`);
}

async function read(path: string | undefined, config: RunConfig, what: string): Promise<DetectionDataset> {
  if (!path) throw new UserError(`this run's split has no ${what} annotations`);
  if (config.dataset.name === "voc") {
    throw new NotImplementedError("VOC splits on the tfjs engine (it reads COCO/LVIS JSON splits)");
  }
  return readCocoFile(path, { format: config.dataset.name === "lvis" ? "lvis" : "coco" });
}

/**
 * Per-pixel class coverage of `shapes` images by image id (RichSem's oracle
 * teacher): scenes are a pure function of the spec and the file name.
 */
function shapesCoverage(config: RunConfig, datasets: DetectionDataset[]): AuxChannels | undefined {
  if (config.dataset.name !== "shapes") return undefined;
  const shapes = new ShapesImages(resolveShapesSpec(config.dataset as ShapesDatasetSpec));
  const files = new Map<number | string, string>();
  for (const ds of datasets) {
    ds.images.ids.forEach((id, i) => {
      files.set(id, ds.images.fileNames[i]!);
    });
  }
  return {
    channels: shapes.spec.classes.length,
    of: (meta) => {
      const name = files.get(meta.imageId);
      if (name === undefined) throw new Error(`no shapes scene for image ${meta.imageId}`);
      return shapes.coverage(name);
    },
  };
}

/** The engine's inputs for one run: labelled training samples, extra image-level samples, evaluation images, category ids. */
export async function splitInputs(config: RunConfig, files: SplitPaths): Promise<TfjsRunInputs> {
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
  // Extra images (labels.extra): their whole-image coarse boxes are ordinary boxes to the engine.
  const extraDs = files.extra && !classifier ? await read(files.extra, config, "extra") : undefined;
  if (extraDs && extraDs.categories.map((c) => c.id).join() !== categoryIds.join()) {
    throw new UserError(`the extra images' annotations list other categories than the training set`);
  }
  const coverage = classifier ? undefined : shapesCoverage(config, extraDs ? [train, extraDs] : [train]);
  return {
    categoryIds,
    labelled: classifier ? multiLabelSamples(train, trainImages) : detectionSamples(train, trainImages),
    ...(extraDs
      ? { extra: detectionSamples(extraDs, imageSource(images(config, files.extra_images, "extra"))) }
      : {}),
    ...(coverage ? { classCoverage: coverage } : {}),
    eval: detectionSamples(evalDs, evalImages),
  };
}
