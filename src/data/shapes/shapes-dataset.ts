import { UserError } from "../../util/errors.js";
import {
  type CategoryInfo,
  DatasetBuilder,
  type DetectionDataset,
  type FrequencyGroup,
  IMAGE_LEVEL,
} from "../detection-dataset.js";
import { kindOf } from "./classes.js";
import { renderCoverage, renderScene } from "./render.js";
import { type Scene, SceneMaker, type ShapesSplit } from "./scene.js";
import type { ResolvedShapesSpec } from "./shapes-spec.js";

// Ground truth of `shapes` as DetectionDatasets in COCO form. File names are
// "<split>/<index>.png"; renderShapesFile() turns such a name back into
// pixels, so the engine renders on demand and `data export` writes the same
// names to disk.

/** LVIS frequency groups by training-image count: rare ≤ 10, common ≤ 100, frequent above (METHODS.md §7). */
export const RARE_MAX = 10;
export const COMMON_MAX = 100;

/** Extra (image-level) images get ids from here, so they never collide with training image ids. */
export const EXTRA_ID_OFFSET = 1_000_000_000;

export type ExtraClasses = "all" | "rare" | "tail";

const pad = (i: number) => String(i).padStart(6, "0");

export function shapesFileName(split: ShapesSplit | `extra-${ExtraClasses}`, index: number): string {
  return `${split}/${pad(index)}.png`;
}

function categories(spec: ResolvedShapesSpec): CategoryInfo[] {
  return spec.classes.map((name, i) => ({ id: i + 1, name, supercategory: kindOf(name) }));
}

function frequencyOf(imageCount: number): FrequencyGroup {
  return imageCount <= RARE_MAX ? "r" : imageCount <= COMMON_MAX ? "c" : "f";
}

/**
 * Version of what shapes annotations contain beyond the scenes (part of the
 * shapes input's identity, so a split cache never serves files of an older
 * layout): 2 — categories carry the training split's `image_count`.
 */
export const SHAPES_ANNOTATION_VERSION = 2;

/**
 * The train or eval split's ground truth. Categories carry, as LVIS's do, the
 * number of training images showing each class (`image_count`) and the
 * frequency group it gives with LVIS's thresholds.
 */
export function shapesDataset(spec: ResolvedShapesSpec, split: "train" | "eval"): DetectionDataset {
  const maker = new SceneMaker(spec);
  const count = split === "train" ? spec.train_images : spec.eval_images;
  const cats = categories(spec);
  // Image counts (and so frequency groups) always come from the training split, so train and eval agree.
  const trainCounts = split === "train" ? undefined : trainImageCounts(spec);
  const builder = new DatasetBuilder("coco", `shapes:${split}`, cats);
  const imagesPerClass = new Int32Array(cats.length);
  for (let i = 0; i < count; i++) {
    const scene = maker.scene(split, i);
    const img = builder.addImage(i + 1, shapesFileName(split, i), spec.image_size, spec.image_size);
    const present = new Set<number>();
    for (const o of scene.objects) {
      builder.addAnnotation(img, o.classIndex, o.box);
      present.add(o.classIndex);
    }
    for (const c of present) (imagesPerClass[c] as number)++;
  }
  cats.forEach((c, i) => {
    const n = trainCounts ? (trainCounts[i] as number) : (imagesPerClass[i] as number);
    c.frequency = frequencyOf(n);
    c.image_count = n;
  });
  return builder.build();
}

/** Training images showing each class. */
function trainImageCounts(spec: ResolvedShapesSpec): number[] {
  return shapesDataset(spec, "train").categories.map((c) => c.image_count as number);
}

/** LVIS-style group of every class, from the number of training images showing it. */
export function frequencyGroups(spec: ResolvedShapesSpec): FrequencyGroup[] {
  return trainImageCounts(spec).map(frequencyOf);
}

/** Class indices an `extra` selector admits: all, rare (r), or tail (r + c). */
export function extraClassPool(
  spec: ResolvedShapesSpec,
  which: ExtraClasses,
  groups?: FrequencyGroup[],
): number[] {
  if (which === "all") return spec.classes.map((_, i) => i);
  const g = groups ?? frequencyGroups(spec);
  const pool = g.flatMap((f, i) => (f === "r" || (which === "tail" && f === "c") ? [i] : []));
  if (pool.length === 0) {
    throw new UserError(
      `labels.extra.classes: ${which}: no class of this shapes dataset is ${which === "rare" ? "rare" : "rare or common"} ` +
        `(rare: ≤ ${RARE_MAX} training images, common: ≤ ${COMMON_MAX}); use a Zipf class_frequency or more classes`,
    );
  }
  return pool;
}

/**
 * Object-centric extra images with image-level labels only: each carries one
 * whole-image coarse box of its class (RichSem's use of ImageNet-LVIS,
 * METHODS.md §4b), flagged IMAGE_LEVEL.
 */
export function shapesExtraDataset(
  spec: ResolvedShapesSpec,
  count: number,
  which: ExtraClasses,
  groups?: FrequencyGroup[],
): DetectionDataset {
  const maker = new SceneMaker(spec);
  const pool = extraClassPool(spec, which, groups);
  const builder = new DatasetBuilder("coco", `shapes:extra-${which}`, categories(spec));
  const size = spec.image_size;
  for (let i = 0; i < count; i++) {
    const scene = maker.scene("extra", i, { classPool: pool, objectCentric: true });
    const img = builder.addImage(EXTRA_ID_OFFSET + i + 1, shapesFileName(`extra-${which}`, i), size, size);
    const o = scene.objects[0];
    if (o) builder.addAnnotation(img, o.classIndex, [0, 0, size, size], IMAGE_LEVEL);
  }
  return builder.build();
}

/**
 * Renders shapes images by file name ("train/000042.png", "extra-rare/000003.png"),
 * on demand: each image depends only on (spec, split, index). Keeps the class
 * pools of extra images, which need the training split's frequency groups.
 */
export class ShapesImages {
  private readonly maker: SceneMaker;
  private readonly pools = new Map<ExtraClasses, number[]>();

  constructor(readonly spec: ResolvedShapesSpec) {
    this.maker = new SceneMaker(spec);
  }

  scene(fileName: string): Scene {
    const m = /^(train|eval|extra-(all|rare|tail))\/(\d+)\.png$/.exec(fileName);
    if (!m)
      throw new UserError(
        `not a shapes image name: ${JSON.stringify(fileName)} (expected e.g. "train/000042.png")`,
      );
    const index = Number(m[3]);
    const which = m[2] as ExtraClasses | undefined;
    if (which) {
      let pool = this.pools.get(which);
      if (!pool) {
        pool = extraClassPool(this.spec, which);
        this.pools.set(which, pool);
      }
      return this.maker.scene("extra", index, { classPool: pool, objectCentric: true });
    }
    const split = m[1] as "train" | "eval";
    const count = split === "train" ? this.spec.train_images : this.spec.eval_images;
    if (index >= count)
      throw new UserError(`shapes image ${fileName}: the ${split} split has ${count} images`);
    return this.maker.scene(split, index);
  }

  /** 8-bit RGB, image_size × image_size × 3, row-major. */
  render(fileName: string): Uint8Array {
    return renderScene(this.scene(fileName));
  }

  /** Per-pixel class coverage, image_size × image_size × classes (see renderCoverage). */
  coverage(fileName: string): Float32Array {
    return renderCoverage(this.scene(fileName), this.spec.classes.length);
  }
}
