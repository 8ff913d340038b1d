// A run's split files (the runner's SplitFiles: COCO/LVIS JSON, or for VOC
// the ImageSets lists of the split's VOCdevkit tree, written by the data
// stage) read back as the engine's sample sources, pixels from the image
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
  readVocList,
  readVocOutput,
  resolveShapesSpec,
  ShapesImages,
  type SplitPaths,
} from "../data/index.js";
import type { RunConfig, ShapesDatasetSpec } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import type { PseudoImage } from "./active/pseudo.js";
import {
  type ColumnarDataset,
  detectionSamples,
  multiLabelSamples,
  type PseudoBoxes,
  type RgbImageSource,
  splitPseudoLabelled,
  unlabelledSamples,
} from "./dataset-samples.js";
import type { TfjsRunInputs } from "./run-tfjs.js";
import { concatSources, type MultiLabelSample, type ObservedLabels, type SampleSource } from "./samples.js";
import type { AuxChannels } from "./train/detection-task.js";

function images(config: RunConfig, dir: string | undefined, what: string): ImageLocation {
  if (dir) return { kind: "dir", root: dir };
  if (config.dataset.name === "shapes") {
    return { kind: "shapes", spec: resolveShapesSpec(config.dataset as ShapesDatasetSpec) };
  }
  throw new UserError(`this run's split names no image folder for its ${what} images`);
}

type Role = "split" | "eval" | "unlabelled";

async function read(
  path: string | undefined,
  config: RunConfig,
  what: string,
  role: Role = "split",
): Promise<DetectionDataset> {
  if (!path) throw new UserError(`this run's split has no ${what} annotations`);
  if (config.dataset.name === "voc" && path.endsWith(".txt")) {
    // A split's role lists every VOC<year> folder of its tree; the evaluation set is one list of the devkit.
    return role === "eval" ? readVocList(path) : readVocOutput(path, { imagesOnly: role === "unlabelled" });
  }
  return readCocoFile(path, {
    format: config.dataset.name === "lvis" ? "lvis" : "coco",
    ...(role === "unlabelled" ? { allowMissingAnnotations: true } : {}),
  });
}

/** Pseudo-labels by image id, their dataset category ids turned into class indices. */
function pseudoBoxes(
  entries: PseudoImage[] | undefined,
  categoryIds: number[],
): Map<string, PseudoBoxes> | undefined {
  if (!entries) return undefined;
  const out = new Map<string, PseudoBoxes>();
  for (const e of entries) {
    const classes = e.category_ids.map((c) => {
      const k = categoryIds.indexOf(c);
      if (k < 0) throw new UserError(`pseudo-label of image ${e.image_id}: unknown category ${c}`);
      return k;
    });
    out.set(String(e.image_id), { boxes: e.boxes, classes });
  }
  return out;
}

/**
 * Unlabelled training images: the split's unlabelled file (a budget split's
 * other images) and the images of dataset.unlabeled (VOC12 beside VOC07),
 * pixels and metadata only.
 */
async function unlabelled(
  config: RunConfig,
  files: SplitPaths,
  pseudo: ReadonlyMap<string, PseudoBoxes> | undefined,
): Promise<Pick<TfjsRunInputs, "unlabelled" | "pseudo">> {
  const parts: [ColumnarDataset, RgbImageSource][] = [];
  if (files.unlabeled) {
    const ds = await read(files.unlabeled, config, "unlabelled training", "unlabelled");
    parts.push([ds, imageSource(images(config, files.images, "unlabelled"))]);
  }
  if (files.unlabeled_extra) {
    const ds = await read(files.unlabeled_extra, config, "dataset.unlabeled", "unlabelled");
    // Its own image folder when the split names one; otherwise the training folder (a VOC split's tree holds every year).
    const dir = files.unlabeled_extra_images ?? files.images;
    parts.push([ds, imageSource(images(config, dir, "dataset.unlabeled"))]);
  }
  if (parts.length === 0) return {};
  const pool = concatSources(parts.map(([ds, img]) => unlabelledSamples(ds, img)));
  if (!pseudo) return { unlabelled: pool };
  const found = new Set<string>();
  const split = parts.map(([ds, img]) => splitPseudoLabelled(ds, img, pseudo, found));
  const stray = [...pseudo.keys()].find((id) => !found.has(id));
  if (stray !== undefined)
    throw new UserError(`pseudo-labelled image ${stray} is not in this run's unlabelled pool`);
  return {
    unlabelled: pool,
    pseudo: {
      samples: concatSources(split.map((s) => s.samples)),
      rest: concatSources(split.map((s) => s.rest)),
    },
  };
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
export async function splitInputs(
  config: RunConfig,
  files: SplitPaths,
  options: { pseudo?: PseudoImage[] } = {},
): Promise<TfjsRunInputs> {
  const train = await read(files.annotations, config, "labelled training");
  const evalDs = await read(files.eval_annotations, config, "evaluation", "eval");
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
  const pool = classifier ? {} : await unlabelled(config, files, pseudoBoxes(options.pseudo, categoryIds));
  // Extra images (labels.extra): their whole-image coarse boxes are ordinary boxes to the engine.
  const extraDs = files.extra && !classifier ? await read(files.extra, config, "extra") : undefined;
  if (extraDs && extraDs.categories.map((c) => c.id).join() !== categoryIds.join()) {
    throw new UserError(`the extra images' annotations list other categories than the training set`);
  }
  const coverage = classifier ? undefined : shapesCoverage(config, extraDs ? [train, extraDs] : [train]);
  return {
    categoryIds,
    labelled: classifier ? multiLabelSamples(train, trainImages) : detectionSamples(train, trainImages),
    ...pool,
    ...(extraDs
      ? { extra: detectionSamples(extraDs, imageSource(images(config, files.extra_images, "extra"))) }
      : {}),
    ...(coverage ? { classCoverage: coverage } : {}),
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
