// A run's split files (the runner's SplitFiles: COCO/LVIS JSON written by the
// data stage) read back as the engine's sample sources, pixels from the image
// folder or, for `shapes`, rendered on demand.
// mlc-lite on a single-positive split learns from the observed labels of the
// split's multi-label file (one positive per image, the rest unknown), not
// from the boxes left in the detection file; evaluation always reads the
// evaluation annotations, every label of every held-out image (Scob keeps all
// labels on its validation images, METHODS.md §5b).

import {
  type DetectionDataset,
  type ImageLocation,
  imageSource,
  type MultiLabelFile,
  readCocoFile,
  readMultiLabelFile,
  resolveShapesSpec,
  type SplitPaths,
} from "../data/index.js";
import type { RunConfig, ShapesDatasetSpec } from "../spec/types.js";
import { NotImplementedError, UserError } from "../util/errors.js";
import { detectionSamples, multiLabelSamples } from "./dataset-samples.js";
import type { TfjsRunInputs } from "./run-tfjs.js";
import type { MultiLabelSample, ObservedLabels, SampleSource } from "./samples.js";

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
  const evalSamples = detectionSamples(evalDs, evalImages);
  if (classifier && files.multilabel) {
    const observed = await readMultiLabelFile(files.multilabel);
    const { samples, labels } = observedSamples(train, trainImages, observed, categoryIds, files.multilabel);
    return { categoryIds, labelled: samples, observed: labels, eval: evalSamples };
  }
  return {
    categoryIds,
    labelled: classifier ? multiLabelSamples(train, trainImages) : detectionSamples(train, trainImages),
    eval: evalSamples,
  };
}

/**
 * The labelled images with their observed labels from the multi-label file
 * (matched by image id), in the detection file's image order.
 */
function observedSamples(
  train: DetectionDataset,
  trainImages: ReturnType<typeof imageSource>,
  file: MultiLabelFile,
  categoryIds: number[],
  path: string,
): { samples: SampleSource<MultiLabelSample>; labels: ObservedLabels } {
  const k = categoryIds.length;
  const column = file.categories.map((c) => categoryIds.indexOf(c.id));
  if (file.categories.length !== k || column.some((j) => j < 0)) {
    throw new UserError(
      `${path}: categories [${file.categories.map((c) => c.id)}] differ from the training annotations' [${categoryIds}]`,
    );
  }
  const rowOf = new Map(file.imageIds.map((id, row) => [id, row]));
  const n = train.images.count;
  const labels = new Int8Array(n * k);
  for (let i = 0; i < n; i++) {
    const id = train.images.ids[i]!;
    const row = rowOf.get(id);
    if (row === undefined) throw new UserError(`${path}: no observed labels for training image ${id}`);
    for (let c = 0; c < file.categories.length; c++) {
      labels[i * k + column[c]!] = file.labels[row * file.categories.length + c]!;
    }
  }
  const pixels = multiLabelSamples(train, trainImages);
  const samples: SampleSource<MultiLabelSample> = {
    size: n,
    async get(i) {
      const s = await pixels.get(i);
      const positives: number[] = [];
      for (let c = 0; c < k; c++) if (labels[i * k + c] === 1) positives.push(c);
      return { ...s, positives };
    },
  };
  return {
    samples,
    labels: {
      numClasses: k,
      labels,
      ...(file.meanPositives === undefined ? {} : { meanPositives: file.meanPositives }),
    },
  };
}
