import { readFile } from "node:fs/promises";
import { UserError } from "../util/errors.js";
import {
  type AnnotationTable,
  type CategoryInfo,
  CROWD,
  type DetectionDataset,
  type FederatedLabels,
  type FrequencyGroup,
  groupByImage,
  type ImageLevelLabels,
} from "./detection-dataset.js";
import { JsonBytes } from "./json-bytes.js";

// COCO instances JSON and LVIS v1 JSON (same layout; LVIS adds category
// `frequency` and per-image `neg_category_ids` / `not_exhaustive_category_ids`,
// and names images by `coco_url` instead of `file_name`). Records are decoded
// in place from the file's bytes (json-bytes.ts); per-record handlers are
// created once per array, not once per record, because 860k closures and
// label strings are a measurable share of the load time.

export interface ReadCocoOptions {
  format?: "coco" | "lvis";
  /** Name used in messages (defaults to the path). */
  label?: string;
  /** Image-only files (e.g. COCO's image_info_unlabeled2017.json) may lack `annotations`. */
  allowMissingAnnotations?: boolean;
}

export async function readCocoFile(path: string, options: ReadCocoOptions = {}): Promise<DetectionDataset> {
  return parseCocoBytes(await readAnnotationBytes(path), options.label ?? path, options);
}

export async function readAnnotationBytes(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new UserError(`cannot read annotation file ${path}: ${(err as Error).message}`);
  }
}

export function parseCocoBytes(bytes: Buffer, file: string, options: ReadCocoOptions = {}): DetectionDataset {
  const format = options.format ?? "coco";
  const json = new JsonBytes(bytes, file);
  const members: { key: string; start: number; end: number }[] = [];
  const start = json.ws(0);
  if (start >= bytes.length) throw new UserError(`${file}: the file is empty`);
  // One pass over the bytes: records are decoded where they lie, ids are
  // resolved against images/categories afterwards (members come in any order).
  let categories: CategoryInfo[] | undefined;
  let images: ImagesRead | undefined;
  let anns: AnnotationsRead | undefined;
  const end = json.forEachMember(
    start,
    "top level",
    (key, valueStart) => {
      let valueEnd: number;
      if (key === "categories") [categories, valueEnd] = readCategories(json, valueStart, format);
      else if (key === "images") [images, valueEnd] = readImages(json, valueStart, format);
      else if (key === "annotations") [anns, valueEnd] = readAnnotations(json, valueStart);
      else valueEnd = json.skipValue(valueStart);
      members.push({ key, start: valueStart, end: valueEnd });
      return valueEnd;
    },
    false,
  );
  if (json.ws(end) !== bytes.length) json.fail(json.ws(end), "unexpected data after the top-level object");
  const missing = (key: string) =>
    new UserError(`${file}: not a ${format.toUpperCase()} annotation file: no top-level "${key}"`);
  if (!categories) throw missing("categories");
  if (!images) throw missing("images");
  if (!anns) {
    if (!options.allowMissingAnnotations) throw missing("annotations");
    anns = readAnnotations(json, -1)[0];
  }

  const categoryIndex = new Map<number, number>(categories.map((c, i) => [c.id, i]));
  const federated = format === "lvis" ? resolveFederated(json, images, categoryIndex) : undefined;
  const imageLevel = images.posIds.some((p) => p !== null)
    ? resolvePositives(json, images, categoryIndex)
    : undefined;
  const table = resolveAnnotations(json, anns, images.index, categoryIndex);

  return {
    format,
    source: file,
    categories,
    images: {
      count: images.ids.length,
      ids: images.ids,
      fileNames: images.fileNames,
      widths: Int32Array.from(images.widths),
      heights: Int32Array.from(images.heights),
    },
    annotations: table,
    byImage: groupByImage(images.ids.length, table.imageIndex),
    ...(federated ? { federated } : {}),
    ...(imageLevel ? { imageLevel } : {}),
    raw: { bytes, members, imageSpans: images.spans, annotationSpans: anns.spans },
  };
}

function readCategories(json: JsonBytes, pos: number, format: "coco" | "lvis"): [CategoryInfo[], number] {
  const out: CategoryInfo[] = [];
  const seen = new Set<number>();
  const arrayEnd = json.forEachElement(pos, "categories", (i, start) => {
    const what = `categories[${i}]`;
    let id: number | undefined;
    let name: string | undefined;
    let supercategory: string | undefined;
    let frequency: string | undefined;
    const end = json.forEachMember(start, what, (key, v) => {
      let e: number;
      if (key === "id") {
        e = json.numberAt(v, what, "id");
        id = json.number;
      } else if (key === "name") {
        e = json.stringAt(v, what, "name");
        name = json.string;
      } else if (key === "supercategory" && json.buf[v] === 0x22) {
        e = json.stringAt(v, what, key);
        supercategory = json.string;
      } else if (key === "frequency") {
        e = json.stringAt(v, what, key);
        frequency = json.string;
      } else e = json.skipValue(v);
      return e;
    });
    if (id === undefined || !Number.isInteger(id)) json.fail(start, `${what}: "id" must be an integer`);
    if (name === undefined) json.fail(start, `${what} (id ${id}): missing "name"`);
    if (seen.has(id)) json.fail(start, `${what}: duplicate category id ${id}`);
    seen.add(id);
    const cat: CategoryInfo = { id, name };
    if (supercategory !== undefined) cat.supercategory = supercategory;
    if (format === "lvis") {
      if (frequency !== "r" && frequency !== "c" && frequency !== "f") {
        json.fail(
          start,
          `${what} (id ${id}): LVIS "frequency" must be "r", "c" or "f", got ${JSON.stringify(frequency ?? null)}`,
        );
      }
      cat.frequency = frequency as FrequencyGroup;
    }
    out.push(cat);
    return end;
  });
  return [out, arrayEnd];
}

interface ImagesRead {
  ids: (number | string)[];
  fileNames: string[];
  widths: number[];
  heights: number[];
  spans: Float64Array;
  index: Map<number | string, number>;
  /** LVIS: raw category ids per image, resolved once categories are known. */
  negIds: number[][];
  notExhaustiveIds: number[][];
  /** `pos_category_ids` per image when the file has them (image-level labels), else null. */
  posIds: (number[] | null)[];
}

function readImages(json: JsonBytes, pos: number, format: "coco" | "lvis"): [ImagesRead, number] {
  const read: ImagesRead = {
    ids: [],
    fileNames: [],
    widths: [],
    heights: [],
    spans: new Float64Array(0),
    index: new Map(),
    negIds: [],
    notExhaustiveIds: [],
    posIds: [],
  };
  const spans: number[] = [];
  let index = 0;
  const what = () => `images[${index}]`;
  let id: number | string | undefined;
  let fileName: string | undefined;
  let cocoUrl: string | undefined;
  let width: number | undefined;
  let height: number | undefined;
  let negIds: number[] | undefined;
  let notExIds: number[] | undefined;
  let posIds: number[] | undefined;
  const onMember = (key: string, v: number): number => {
    let e: number;
    switch (key) {
      case "id":
        if (json.buf[v] === 0x22) {
          e = json.stringAt(v, what, "id");
          id = json.string;
        } else {
          e = json.numberAt(v, what, "id");
          id = json.number;
        }
        return e;
      case "file_name":
        {
          e = json.stringAt(v, what, key);
          fileName = json.string;
        }
        return e;
      case "coco_url":
        {
          e = json.stringAt(v, what, key);
          cocoUrl = json.string;
        }
        return e;
      case "width":
        {
          e = json.numberAt(v, what, key);
          width = json.number;
        }
        return e;
      case "height":
        {
          e = json.numberAt(v, what, key);
          height = json.number;
        }
        return e;
      case "neg_category_ids":
        negIds = [];
        return json.numbersAt(v, what, key, negIds);
      case "not_exhaustive_category_ids":
        notExIds = [];
        return json.numbersAt(v, what, key, notExIds);
      case "pos_category_ids":
        posIds = [];
        return json.numbersAt(v, what, key, posIds);
      default:
        return json.skipValue(v);
    }
  };
  // Reset inside a function: assigning undefined inline would narrow the types for the checks below.
  const reset = () => {
    id = fileName = cocoUrl = width = height = negIds = notExIds = posIds = undefined;
  };
  const arrayEnd = json.forEachElement(pos, "images", (i, start) => {
    index = i;
    reset();
    const end = json.forEachMember(start, what, onMember);
    if (id === undefined) json.fail(start, `${what()}: missing "id"`);
    const label = `${what()} (id ${id})`;
    if (read.index.has(id)) json.fail(start, `${label}: duplicate image id`);
    if (width === undefined || height === undefined || !(width > 0) || !(height > 0)) {
      json.fail(start, `${label}: "width" and "height" must be positive numbers`);
    }
    if (fileName === undefined && cocoUrl !== undefined) {
      // LVIS v1 names images by URL; detectron2 keeps the last two segments (split folder/file).
      fileName = cocoUrl.split("/").slice(-2).join("/");
    }
    if (fileName === undefined) {
      json.fail(start, `${label}: missing "file_name"${format === "lvis" ? ' (or "coco_url")' : ""}`);
    }
    if (format === "lvis") {
      if (!negIds) json.fail(start, `${label}: LVIS images need "neg_category_ids"`);
      if (!notExIds) json.fail(start, `${label}: LVIS images need "not_exhaustive_category_ids"`);
      read.negIds.push(negIds);
      read.notExhaustiveIds.push(notExIds);
    }
    read.posIds.push(posIds ?? null);
    read.index.set(id, read.ids.length);
    read.ids.push(id);
    read.fileNames.push(fileName);
    read.widths.push(width);
    read.heights.push(height);
    spans.push(start, end);
    return end;
  });
  read.spans = Float64Array.from(spans);
  return [read, arrayEnd];
}

function resolveFederated(
  json: JsonBytes,
  images: ImagesRead,
  categoryIndex: Map<number, number>,
): FederatedLabels {
  const resolve = (lists: number[][], key: string): [Int32Array, Int32Array] => {
    const starts = new Int32Array(lists.length + 1);
    const out: number[] = [];
    lists.forEach((list, i) => {
      for (const c of list) {
        const ci = categoryIndex.get(c);
        if (ci === undefined) {
          json.fail(
            images.spans[2 * i] as number,
            `images[${i}] (id ${images.ids[i]}): "${key}" names category ${c}, which is not in "categories"`,
          );
        }
        out.push(ci);
      }
      starts[i + 1] = out.length;
    });
    return [starts, Int32Array.from(out)];
  };
  const [negStart, neg] = resolve(images.negIds, "neg_category_ids");
  const [notExhaustiveStart, notExhaustive] = resolve(images.notExhaustiveIds, "not_exhaustive_category_ids");
  return { negStart, neg, notExhaustiveStart, notExhaustive };
}

function resolvePositives(
  json: JsonBytes,
  images: ImagesRead,
  categoryIndex: Map<number, number>,
): ImageLevelLabels {
  const start = new Int32Array(images.ids.length + 1);
  const out: number[] = [];
  images.posIds.forEach((list, i) => {
    for (const c of list ?? []) {
      const ci = categoryIndex.get(c);
      if (ci === undefined) {
        json.fail(
          images.spans[2 * i] as number,
          `images[${i}] (id ${images.ids[i]}): "pos_category_ids" names category ${c}, which is not in "categories"`,
        );
      }
      out.push(ci);
    }
    start[i + 1] = out.length;
  });
  return { start, categories: Int32Array.from(out) };
}

/** Growable typed column: avoids a JS array of 860k boxed numbers per field. */
class Column<T extends Float64Array | Uint8Array> {
  length = 0;
  constructor(
    public data: T,
    private readonly make: (n: number) => T,
  ) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(Math.max(1024, this.data.length * 2));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

interface AnnotationsRead {
  count: number;
  ids: Float64Array;
  /** Raw image ids as written (numbers, or strings in some COCO-like files). */
  imageIds: (number | string)[];
  categoryIds: Float64Array;
  boxes: Float64Array;
  areas: Float64Array;
  flags: Uint8Array;
  spans: Float64Array;
}

function readAnnotations(json: JsonBytes, pos: number): [AnnotationsRead, number] {
  const f64 = (n: number) => new Float64Array(n);
  const ids = new Column(f64(0), f64);
  const imageIds: (number | string)[] = [];
  const cat = new Column(f64(0), f64);
  const boxes = new Column(f64(0), f64);
  const areas = new Column(f64(0), f64);
  const flags = new Column(new Uint8Array(0), (n) => new Uint8Array(n));
  const spans = new Column(f64(0), f64);
  let index = 0;
  const what = () => `annotations[${index}]`;
  let id: number | undefined;
  let imageId: number | string | undefined;
  let categoryId: number | undefined;
  const bbox: number[] = [];
  let hasBbox = false;
  let area: number | undefined;
  let crowd = 0;
  const onMember = (key: string, v: number): number => {
    let e: number;
    switch (key) {
      case "id":
        {
          e = json.numberAt(v, what, key);
          id = json.number;
        }
        return e;
      case "image_id":
        if (json.buf[v] === 0x22) {
          e = json.stringAt(v, what, key);
          imageId = json.string;
        } else {
          e = json.numberAt(v, what, key);
          imageId = json.number;
        }
        return e;
      case "category_id":
        {
          e = json.numberAt(v, what, key);
          categoryId = json.number;
        }
        return e;
      case "bbox":
        hasBbox = true;
        bbox.length = 0;
        return json.numbersAt(v, what, key, bbox);
      case "area":
        {
          e = json.numberAt(v, what, key);
          area = json.number;
        }
        return e;
      case "iscrowd":
        {
          e = json.numberAt(v, what, key);
          crowd = json.number;
        }
        return e;
      default:
        return json.skipValue(v);
    }
  };
  const reset = () => {
    id = imageId = categoryId = area = undefined;
    hasBbox = false;
    crowd = 0;
  };
  let arrayEnd = pos;
  if (pos >= 0) {
    arrayEnd = json.forEachElement(pos, "annotations", (i, start) => {
      index = i;
      reset();
      const end = json.forEachMember(start, what, onMember);
      if (id === undefined) json.fail(start, `${what()}: missing "id"`);
      if (imageId === undefined) json.fail(start, `${what()} (id ${id}): missing "image_id"`);
      if (categoryId === undefined) json.fail(start, `${what()} (id ${id}): missing "category_id"`);
      if (!hasBbox) json.fail(start, `${what()} (id ${id}): missing "bbox"`);
      if (bbox.length !== 4) {
        json.fail(
          start,
          `${what()} (id ${id}): "bbox" must be [x, y, width, height], got ${bbox.length} numbers`,
        );
      }
      const [x, y, w, h] = bbox as [number, number, number, number];
      if (!(w >= 0 && h >= 0)) {
        json.fail(
          start,
          `${what()} (id ${id}): "bbox" width and height must be ≥ 0, got [${bbox.join(", ")}]`,
        );
      }
      if (crowd !== 0 && crowd !== 1)
        json.fail(start, `${what()} (id ${id}): "iscrowd" must be 0 or 1, got ${crowd}`);
      ids.push(id);
      imageIds.push(imageId);
      cat.push(categoryId);
      boxes.push(x);
      boxes.push(y);
      boxes.push(w);
      boxes.push(h);
      areas.push(area ?? w * h);
      flags.push(crowd ? CROWD : 0);
      spans.push(start);
      spans.push(end);
      return end;
    });
  }
  const idList = ids.done();
  // Duplicate ids, found by sorting a copy: a Set of 860k ids costs more than the sort.
  const sorted = idList.slice().sort();
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k] === sorted[k - 1]) {
      const a = idList.indexOf(sorted[k] as number, idList.indexOf(sorted[k] as number) + 1);
      json.fail(spans.data[2 * a] as number, `annotations[${a}] (id ${sorted[k]}): duplicate annotation id`);
    }
  }
  const read: AnnotationsRead = {
    count: ids.length,
    ids: idList,
    imageIds,
    categoryIds: cat.done(),
    boxes: boxes.done(),
    areas: areas.done(),
    flags: flags.done(),
    spans: spans.done(),
  };
  return [read, arrayEnd];
}

/**
 * id → index lookup. COCO ids are small non-negative integers (train2017's
 * largest is 581,929), so a dense Int32Array table beats a Map for 860k
 * lookups; anything else (string ids, huge ids) falls back to the Map.
 */
function idLookup(index: Map<number | string, number>): (id: number | string) => number | undefined {
  let max = -1;
  for (const id of index.keys()) {
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0) return (id) => index.get(id);
    if (id > max) max = id;
  }
  if (max > 4 * index.size + 1_000_000) return (id) => index.get(id);
  const table = new Int32Array(max + 1).fill(-1);
  for (const [id, i] of index) table[id as number] = i;
  return (id) => {
    if (typeof id !== "number" || !(id >= 0 && id <= max)) return index.get(id);
    const i = table[id] as number;
    return i >= 0 ? i : undefined;
  };
}

function resolveAnnotations(
  json: JsonBytes,
  read: AnnotationsRead,
  imageIndex: Map<number | string, number>,
  categoryIndex: Map<number, number>,
): AnnotationTable {
  const img = new Int32Array(read.count);
  const cat = new Int32Array(read.count);
  const imageOf = idLookup(imageIndex);
  const categoryOf = idLookup(categoryIndex as Map<number | string, number>);
  for (let a = 0; a < read.count; a++) {
    const ii = imageOf(read.imageIds[a] as number | string);
    if (ii === undefined) {
      json.fail(
        read.spans[2 * a] as number,
        `annotations[${a}] (id ${read.ids[a]}): image_id ${read.imageIds[a]} is not in "images"`,
      );
    }
    const ci = categoryOf(read.categoryIds[a] as number);
    if (ci === undefined) {
      json.fail(
        read.spans[2 * a] as number,
        `annotations[${a}] (id ${read.ids[a]}): category_id ${read.categoryIds[a]} is not in "categories"`,
      );
    }
    img[a] = ii;
    cat[a] = ci;
  }
  return {
    count: read.count,
    ids: read.ids,
    imageIndex: img,
    categoryIndex: cat,
    boxes: read.boxes,
    areas: read.areas,
    flags: read.flags,
  };
}
