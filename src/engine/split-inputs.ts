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
import { detectionSamples, multiLabelSamples, unlabelledSamples } from "./dataset-samples.js";
import type { UnlabelledSample } from "./methods/types.js";
import type { TfjsRunInputs } from "./run-tfjs.js";
import { concatSources, type SampleSource } from "./samples.js";

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
 * Unlabelled training images: the split's unlabelled file (a budget split's
 * other images) and the images of dataset.unlabeled (VOC12 beside VOC07),
 * pixels and metadata only.
 */
async function unlabelled(
  config: RunConfig,
  files: SplitPaths,
): Promise<SampleSource<UnlabelledSample> | undefined> {
  const sources: SampleSource<UnlabelledSample>[] = [];
  if (files.unlabeled) {
    const ds = await read(files.unlabeled, config, "unlabelled training");
    sources.push(unlabelledSamples(ds, imageSource(images(config, files.images, "unlabelled"))));
  }
  if (files.unlabeled_extra) {
    const ds = await read(files.unlabeled_extra, config, "dataset.unlabeled");
    const dir = files.unlabeled_extra_images;
    if (!dir) throw new UserError("this run's split names no image folder for its dataset.unlabeled images");
    sources.push(unlabelledSamples(ds, imageSource({ kind: "dir", root: dir })));
  }
  return sources.length > 0 ? concatSources(sources) : undefined;
}

/** The engine's inputs for one run: labelled training samples, evaluation images, category ids. */
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
  const unlabelledImages = classifier ? undefined : await unlabelled(config, files);
  return {
    categoryIds,
    labelled: classifier ? multiLabelSamples(train, trainImages) : detectionSamples(train, trainImages),
    ...(unlabelledImages ? { unlabelled: unlabelledImages } : {}),
    eval: detectionSamples(evalDs, evalImages),
  };
}
