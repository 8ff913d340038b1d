// The in-memory form of a detection dataset, shared by every reader, writer
// and label protocol. Columnar typed arrays instead of one object per box: a
// COCO-train2017-sized file (860k boxes) then costs ~60 MB here instead of
// the gigabytes a JSON.parse object graph takes (issue 3, "memory-lean").

export type DatasetFormat = "coco" | "lvis" | "voc";

/** LVIS frequency group: rare (1–10 training images), common (11–100), frequent (> 100). */
export type FrequencyGroup = "r" | "c" | "f";

export interface CategoryInfo {
  id: number;
  name: string;
  supercategory?: string;
  /** LVIS `frequency` (read from LVIS files; derived from image counts for `shapes`). */
  frequency?: FrequencyGroup;
  /**
   * LVIS `image_count`: training images showing the class (written for
   * `shapes`, so eval.rare_max / common_max can regroup classes by it).
   */
  image_count?: number;
}

/** Annotation flag bits. */
export const CROWD = 1;
/** VOC `difficult`: kept as a flag, never dropped by a reader. */
export const DIFFICULT = 2;
/** VOC `truncated`. */
export const TRUNCATED = 4;
/** A whole-image coarse box that stands for an image-level label (extra data). */
export const IMAGE_LEVEL = 8;

export interface ImageTable {
  count: number;
  /** COCO/LVIS: numeric ids; VOC: the image name (e.g. "2008_000123"). */
  ids: (number | string)[];
  /** Path relative to the dataset's image root. */
  fileNames: string[];
  widths: Int32Array;
  heights: Int32Array;
}

export interface AnnotationTable {
  count: number;
  ids: Float64Array;
  imageIndex: Int32Array;
  /** Index into `categories` (not the category id). */
  categoryIndex: Int32Array;
  /** [x, y, w, h] per annotation, COCO convention (continuous pixel coordinates). */
  boxes: Float64Array;
  areas: Float64Array;
  flags: Uint8Array;
}

/** Annotation indices grouped by image (CSR): image i owns order[start[i] .. start[i+1]). */
export interface ByImage {
  start: Int32Array;
  order: Int32Array;
}

/** LVIS federated labels per image, as category indices (CSR like ByImage). */
export interface FederatedLabels {
  negStart: Int32Array;
  neg: Int32Array;
  notExhaustiveStart: Int32Array;
  notExhaustive: Int32Array;
}

/**
 * The bytes a COCO/LVIS file was read from, and where each record lies in
 * them, so derived files copy records verbatim (segmentation and every field
 * labelsweep does not model survive untouched).
 */
export interface RawJson {
  bytes: Buffer;
  /** Top-level members in file order: byte span of each value. */
  members: { key: string; start: number; end: number }[];
  /** [start, end) byte span of images[i] at 2i, 2i+1. */
  imageSpans: Float64Array;
  /** [start, end) byte span of annotations[a] at 2a, 2a+1. */
  annotationSpans: Float64Array;
}

/** Where a VOC dataset's files lie, per image. */
export interface VocSource {
  /** Absolute path of each image's Annotations XML. */
  xmlPaths: string[];
  /** VOCdevkit year folder of each image ("VOC2007"). */
  yearDirs: string[];
  /** The image sets read, in order: their VOC<year> folder and list file (class flags live beside it). */
  sets: { yearDir: string; set: string; list: string }[];
}

/** Image-level positive labels read from `pos_category_ids` (ImageNet-LVIS style), category indices in CSR form. */
export interface ImageLevelLabels {
  start: Int32Array;
  categories: Int32Array;
}

export interface DetectionDataset {
  format: DatasetFormat;
  /** Where it came from, for messages ("instances_train2017.json", "shapes:train"). */
  source: string;
  categories: CategoryInfo[];
  images: ImageTable;
  annotations: AnnotationTable;
  byImage: ByImage;
  federated?: FederatedLabels;
  imageLevel?: ImageLevelLabels;
  raw?: RawJson;
  voc?: VocSource;
}

export function groupByImage(imageCount: number, imageIndex: Int32Array): ByImage {
  const start = new Int32Array(imageCount + 1);
  for (let a = 0; a < imageIndex.length; a++) (start[(imageIndex[a] as number) + 1] as number)++;
  for (let i = 0; i < imageCount; i++) start[i + 1] = (start[i + 1] as number) + (start[i] as number);
  const fill = start.slice(0, imageCount);
  const order = new Int32Array(imageIndex.length);
  // Stable: annotations of one image stay in file order.
  for (let a = 0; a < imageIndex.length; a++) {
    const i = imageIndex[a] as number;
    order[fill[i] as number] = a;
    fill[i] = (fill[i] as number) + 1;
  }
  return { start, order };
}

/** Annotation indices of image i, in file order. */
export function annotationsOf(ds: DetectionDataset, i: number): Int32Array {
  return ds.byImage.order.subarray(ds.byImage.start[i] as number, ds.byImage.start[i + 1] as number);
}

/** Growable builder for datasets made in code (VOC reader, `shapes`). */
export class DatasetBuilder {
  private readonly imageIds: (number | string)[] = [];
  private readonly fileNames: string[] = [];
  private readonly widths: number[] = [];
  private readonly heights: number[] = [];
  private readonly annIds: number[] = [];
  private readonly annImage: number[] = [];
  private readonly annCategory: number[] = [];
  private readonly annBoxes: number[] = [];
  private readonly annAreas: number[] = [];
  private readonly annFlags: number[] = [];

  constructor(
    private readonly format: DatasetFormat,
    private readonly source: string,
    private readonly categories: CategoryInfo[],
  ) {}

  get imageCount(): number {
    return this.imageIds.length;
  }

  addImage(id: number | string, fileName: string, width: number, height: number): number {
    this.imageIds.push(id);
    this.fileNames.push(fileName);
    this.widths.push(width);
    this.heights.push(height);
    return this.imageIds.length - 1;
  }

  addAnnotation(
    imageIndex: number,
    categoryIndex: number,
    box: readonly [number, number, number, number],
    flags = 0,
    area = box[2] * box[3],
  ): number {
    this.annIds.push(this.annIds.length + 1);
    this.annImage.push(imageIndex);
    this.annCategory.push(categoryIndex);
    this.annBoxes.push(box[0], box[1], box[2], box[3]);
    this.annAreas.push(area);
    this.annFlags.push(flags);
    return this.annIds.length - 1;
  }

  build(): DetectionDataset {
    const imageIndex = Int32Array.from(this.annImage);
    return {
      format: this.format,
      source: this.source,
      categories: this.categories,
      images: {
        count: this.imageIds.length,
        ids: this.imageIds,
        fileNames: this.fileNames,
        widths: Int32Array.from(this.widths),
        heights: Int32Array.from(this.heights),
      },
      annotations: {
        count: this.annIds.length,
        ids: Float64Array.from(this.annIds),
        imageIndex,
        categoryIndex: Int32Array.from(this.annCategory),
        boxes: Float64Array.from(this.annBoxes),
        areas: Float64Array.from(this.annAreas),
        flags: Uint8Array.from(this.annFlags),
      },
      byImage: groupByImage(this.imageIds.length, imageIndex),
    };
  }
}
