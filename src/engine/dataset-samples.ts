// Adapts the data stage's columnar datasets (DetectionDataset + ImageSource in
// src/data) to the engine's SampleSource. Typed structurally so the engine does
// not import the data stage: any object with these fields works.

import type { DetectionSample, ImageMeta, MultiLabelSample, SampleSource } from "./samples.js";

export interface ColumnarDataset {
  categories: { id: number; name: string }[];
  images: {
    count: number;
    ids: (number | string)[];
    fileNames: string[];
    widths: Int32Array;
    heights: Int32Array;
  };
  annotations: {
    /** Index into `categories`. */
    categoryIndex: Int32Array;
    /** COCO [x, y, w, h], 4 per annotation. */
    boxes: Float64Array;
    flags: Uint8Array;
  };
  /** Annotations grouped by image (CSR). */
  byImage: { start: Int32Array; order: Int32Array };
}

export interface RgbImageSource {
  read(fileName: string): Promise<{ data: Uint8Array; width: number; height: number }>;
}

/** src/data's CROWD flag: crowd regions are not boxes to learn (COCO ignores them in evaluation). */
export const CROWD_FLAG = 1;

export interface AdapterOptions {
  /** Annotations with any of these flag bits are left out of the targets (default: crowd). */
  skipFlags?: number;
  /** Keep decoded pixels in memory up to this many bytes (default 1 GiB). */
  cacheBytes?: number;
}

class PixelCache {
  private readonly map = new Map<number, Float32Array>();
  private bytes = 0;
  constructor(private readonly limit: number) {}

  async get(i: number, load: () => Promise<Float32Array>): Promise<Float32Array> {
    const hit = this.map.get(i);
    if (hit) return hit;
    const px = await load();
    if (this.bytes + px.byteLength <= this.limit) {
      this.map.set(i, px);
      this.bytes += px.byteLength;
    }
    return px;
  }
}

/**
 * Loads image i as floats in [0, 1]. A dataset that states no size (VOC
 * unlabelled lists carry no XML, voc-writer.ts) takes the decoded one, kept in
 * `sizes`; a stated size must match the pixels.
 */
function pixels(
  ds: ColumnarDataset,
  images: RgbImageSource,
  i: number,
  sizes?: Map<number, [number, number]>,
): () => Promise<Float32Array> {
  return async () => {
    const name = ds.images.fileNames[i]!;
    const img = await images.read(name);
    const w = ds.images.widths[i]!;
    const h = ds.images.heights[i]!;
    const stated = w > 0 || h > 0 || !sizes;
    if (stated && (img.width !== w || img.height !== h)) {
      throw new Error(`image ${name}: decoded ${img.width}×${img.height}, annotations say ${w}×${h}`);
    }
    if (!stated) sizes.set(i, [img.width, img.height]);
    const out = new Float32Array(img.data.length);
    for (let k = 0; k < out.length; k++) out[k] = img.data[k]! / 255;
    return out;
  };
}

export function detectionSamples(
  ds: ColumnarDataset,
  images: RgbImageSource,
  options: AdapterOptions = {},
): SampleSource<DetectionSample> {
  const skip = options.skipFlags ?? CROWD_FLAG;
  const cache = new PixelCache(options.cacheBytes ?? 1 << 30);
  const labelsOf = (i: number) => {
    const boxes: number[][] = [];
    const classes: number[] = [];
    for (let j = ds.byImage.start[i]!; j < ds.byImage.start[i + 1]!; j++) {
      const a = ds.byImage.order[j]!;
      if ((ds.annotations.flags[a]! & skip) !== 0) continue;
      const b = ds.annotations.boxes.subarray(4 * a, 4 * a + 4);
      if (!(b[2]! > 0 && b[3]! > 0)) continue;
      boxes.push([b[0]!, b[1]!, b[2]!, b[3]!]);
      classes.push(ds.annotations.categoryIndex[a]!);
    }
    return { boxes, classes };
  };
  return {
    size: ds.images.count,
    labelsOf,
    async get(i) {
      const image = await cache.get(i, pixels(ds, images, i));
      return {
        imageId: ds.images.ids[i]!,
        width: ds.images.widths[i]!,
        height: ds.images.heights[i]!,
        image,
        ...labelsOf(i),
      };
    },
  };
}

/** Image-level samples: the positives are the classes of an image's (non-skipped) annotations. */
export function multiLabelSamples(
  ds: ColumnarDataset,
  images: RgbImageSource,
  options: AdapterOptions = {},
): SampleSource<MultiLabelSample> {
  const boxes = detectionSamples(ds, images, options);
  return {
    size: boxes.size,
    async get(i) {
      const s = await boxes.get(i);
      return {
        imageId: s.imageId,
        width: s.width,
        height: s.height,
        image: s.image,
        positives: [...new Set(s.classes)].sort((a, b) => a - b),
      };
    },
  };
}

/**
 * Images without labels: pixels and image metadata only. Whatever annotations
 * the file carries are never read, so an unlabelled image's boxes cannot
 * reach training (a split's unlabelled file has none; this makes sure).
 */
export function unlabelledSamples(
  ds: ColumnarDataset,
  images: RgbImageSource,
  options: Pick<AdapterOptions, "cacheBytes"> = {},
): SampleSource<ImageMeta & { image: Float32Array }> {
  const cache = new PixelCache(options.cacheBytes ?? 1 << 30);
  const sizes = new Map<number, [number, number]>();
  return {
    size: ds.images.count,
    async get(i) {
      const image = await cache.get(i, pixels(ds, images, i, sizes));
      const [width, height] = sizes.get(i) ?? [ds.images.widths[i]!, ds.images.heights[i]!];
      return { imageId: ds.images.ids[i]!, width, height, image };
    },
  };
}

/** Pseudo-labels of one image: COCO [x, y, w, h] boxes in its pixels, class indices (0..C−1). */
export interface PseudoBoxes {
  boxes: number[][];
  classes: number[];
}

/**
 * Splits an unlabelled file's images into those with pseudo-labels — detection
 * samples whose boxes are positives only — and the rest, which stay unlabelled.
 * Both read pixels through one source (one cache). `found` collects the ids met.
 */
export function splitPseudoLabelled(
  ds: ColumnarDataset,
  images: RgbImageSource,
  pseudo: ReadonlyMap<string, PseudoBoxes>,
  found: Set<string>,
): { samples: SampleSource<DetectionSample>; rest: SampleSource<ImageMeta & { image: Float32Array }> } {
  const base = unlabelledSamples(ds, images);
  const withBoxes: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < ds.images.count; i++) {
    const id = String(ds.images.ids[i]);
    if (pseudo.has(id)) {
      withBoxes.push(i);
      found.add(id);
    } else rest.push(i);
  }
  return {
    samples: {
      size: withBoxes.length,
      async get(j) {
        const s = await base.get(withBoxes[j]!);
        const p = pseudo.get(String(s.imageId))!;
        return { ...s, boxes: p.boxes, classes: p.classes, positiveOnly: true };
      },
    },
    rest: { size: rest.length, get: (j) => base.get(rest[j]!) },
  };
}
