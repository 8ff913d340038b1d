import { UserError } from "../util/errors.js";
import type {
  AnnotationTable,
  GroundTruth,
  GtAnnotationRecord,
  GtCategoryRecord,
  GtImageRecord,
  Id,
} from "./types.js";
import { ErrorCollector, WarningCounter } from "./warnings.js";

/** Which fields a metric family reads, so only the checks (and warnings) that matter are made. */
export type GtFamily = "coco" | "lvis" | "voc" | "multilabel";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isId(v: unknown): v is Id {
  return (typeof v === "number" && Number.isFinite(v)) || typeof v === "string";
}

export function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function flag(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  if (v === true || v === 1) return 1;
  if (v === false || v === 0) return 0;
  return Number.NaN;
}

/**
 * Checks a COCO-style ground-truth JSON value and turns it into columns.
 * Broken records are errors (thrown together, each naming its record and key);
 * tolerable oddities are counted warnings.
 */
export function parseGroundTruth(json: unknown, source: string, family: GtFamily): GroundTruth {
  if (!isObject(json)) {
    throw new UserError(`${source}: ground truth must be a JSON object with images, categories, annotations`);
  }
  for (const key of ["images", "categories", "annotations"] as const) {
    if (!Array.isArray(json[key])) {
      throw new UserError(`${source}: key "${key}" must be an array, got ${describe(json[key])}`);
    }
  }
  const errors = new ErrorCollector();
  const warnings = new WarningCounter();
  const images = json.images as unknown[];
  const categories = json.categories as unknown[];
  const annotations = json.annotations as unknown[];

  const imageIds: Id[] = [];
  const imageIndex = new Map<Id, number>();
  images.forEach((img, i) => {
    if (!isObject(img) || !isId(img.id)) {
      errors.add(
        `images[${i}]: "id" must be a number or string, got ${describe(isObject(img) ? img.id : img)}`,
      );
      return;
    }
    if (imageIndex.has(img.id)) {
      errors.add(`images[${i}]: duplicate image id ${describe(img.id)}`);
      return;
    }
    imageIndex.set(img.id, imageIds.length);
    imageIds.push(img.id);
  });
  const categoryIds: Id[] = [];
  const categoryIndex = new Map<Id, number>();
  categories.forEach((cat, i) => {
    if (!isObject(cat) || !isId(cat.id)) {
      errors.add(
        `categories[${i}]: "id" must be a number or string, got ${describe(isObject(cat) ? cat.id : cat)}`,
      );
      return;
    }
    if (categoryIndex.has(cat.id)) {
      errors.add(`categories[${i}]: duplicate category id ${describe(cat.id)}`);
      return;
    }
    categoryIndex.set(cat.id, categoryIds.length);
    categoryIds.push(cat.id);
  });
  checkIdTypes(imageIds, "image", source);
  checkIdTypes(categoryIds, "category", source);

  const n = annotations.length;
  const table: AnnotationTable = {
    length: n,
    ids: new Array<Id>(n),
    image: new Int32Array(n),
    category: new Int32Array(n),
    bbox: new Float64Array(4 * n),
    area: new Float64Array(n),
    iscrowd: new Uint8Array(n),
    ignore: new Uint8Array(n),
    difficult: new Uint8Array(n),
  };
  const seenIds = new Map<Id, number>();
  const needBox = family !== "multilabel";
  for (let i = 0; i < n; i++) {
    const a = annotations[i];
    const where = `annotations[${i}]`;
    if (!isObject(a)) {
      errors.add(`${where}: must be an object, got ${describe(a)}`);
      continue;
    }
    if (!isId(a.id)) {
      if (family === "multilabel" && a.id === undefined) {
        table.ids[i] = i + 1;
      } else {
        errors.add(`${where}: "id" must be a number or string, got ${describe(a.id)}`);
        continue;
      }
    } else {
      const prev = seenIds.get(a.id);
      if (prev !== undefined) {
        // pycocotools keys annotations by id, so a duplicate silently replaces the first one.
        errors.add(`${where}: duplicate annotation id ${describe(a.id)} (also annotations[${prev}])`);
        continue;
      }
      seenIds.set(a.id, i);
      table.ids[i] = a.id;
    }
    const img = isId(a.image_id) ? imageIndex.get(a.image_id) : undefined;
    if (img === undefined) {
      errors.add(`${where}: "image_id" ${describe(a.image_id)} is not an id in "images"`);
      continue;
    }
    const cat = isId(a.category_id) ? categoryIndex.get(a.category_id) : undefined;
    if (cat === undefined) {
      errors.add(`${where}: "category_id" ${describe(a.category_id)} is not an id in "categories"`);
      continue;
    }
    table.image[i] = img;
    table.category[i] = cat;
    if (needBox || a.bbox !== undefined) {
      const b = a.bbox;
      if (
        !Array.isArray(b) ||
        b.length !== 4 ||
        !b.every((v) => typeof v === "number" && Number.isFinite(v))
      ) {
        errors.add(`${where}: "bbox" must be 4 finite numbers [x, y, width, height], got ${describe(b)}`);
        continue;
      }
      const [x, y, w, h] = b as [number, number, number, number];
      if (w < 0 || h < 0) {
        errors.add(`${where}: "bbox" has a negative width or height: ${describe(b)}`);
        continue;
      }
      if (w === 0 || h === 0) {
        warnings.add(
          "gt-empty-box",
          "ground-truth boxes with zero width or height overlap nothing, so they can only be missed",
          where,
        );
      }
      table.bbox[4 * i] = x;
      table.bbox[4 * i + 1] = y;
      table.bbox[4 * i + 2] = w;
      table.bbox[4 * i + 3] = h;
      if (family === "coco" || family === "lvis") {
        if (a.area === undefined) {
          warnings.add(
            "gt-area-missing",
            'annotations without "area" use the box area width·height for the area ranges',
            where,
          );
          table.area[i] = w * h;
        } else if (typeof a.area !== "number" || !Number.isFinite(a.area) || a.area < 0) {
          errors.add(`${where}: "area" must be a finite number >= 0, got ${describe(a.area)}`);
          continue;
        } else {
          table.area[i] = a.area;
        }
      }
    }
    if (!readFlag(a, "iscrowd", where, table.iscrowd, i, errors)) continue;
    if (!readFlag(a, "ignore", where, table.ignore, i, errors)) continue;
    if (!readFlag(a, "difficult", where, table.difficult, i, errors)) continue;
    if (family === "coco" && a.iscrowd === undefined) {
      warnings.add("gt-iscrowd-missing", 'annotations without "iscrowd" are taken as not crowd', where);
    }
  }
  if (errors.count > 0) throw collectedError(source, "ground truth", errors);
  return {
    source,
    imageIds,
    imageIndex,
    categoryIds,
    categoryIndex,
    images: images as GtImageRecord[],
    categories: categories as GtCategoryRecord[],
    annotations: table,
    warnings: warnings.list(),
  };
}

function readFlag(
  a: Record<string, unknown>,
  key: "iscrowd" | "ignore" | "difficult",
  where: string,
  out: Uint8Array,
  i: number,
  errors: ErrorCollector,
): boolean {
  const v = flag(a[key]);
  if (v === null) return true;
  if (Number.isNaN(v)) {
    errors.add(`${where}: "${key}" must be 0, 1, true or false, got ${describe(a[key])}`);
    return false;
  }
  out[i] = v;
  return true;
}

function checkIdTypes(ids: Id[], what: string, source: string): void {
  if (ids.length === 0) return;
  const t = typeof ids[0];
  const other = ids.findIndex((id) => typeof id !== t);
  if (other >= 0) {
    throw new UserError(
      `${source}: ${what} ids mix numbers and strings (${describe(ids[0])} and ${describe(ids[other])}); ` +
        "use one type so that their order is well defined",
    );
  }
}

export function collectedError(source: string, what: string, errors: ErrorCollector): UserError {
  const more =
    errors.count > errors.messages.length ? `\n  … and ${errors.count - errors.messages.length} more` : "";
  return new UserError(
    `${source}: ${errors.count} problem${errors.count === 1 ? "" : "s"} in the ${what}:\n  ` +
      errors.messages.join("\n  ") +
      more,
  );
}

/** Ids sorted the way Python's sorted() orders them (numbers numerically, strings by code unit). */
export function sortedIdOrder(ids: Id[]): Int32Array {
  const order = Int32Array.from(ids.keys());
  const numeric = typeof ids[0] === "number";
  order.sort((a, b) => {
    const x = ids[a]!;
    const y = ids[b]!;
    if (numeric) return (x as number) - (y as number);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return order;
}

/** Annotation records of a parsed ground truth, for evaluators that need fields beyond the columns. */
export type { GtAnnotationRecord };
