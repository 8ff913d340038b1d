import { UserError } from "../util/errors.js";
import { readDetectionBytes } from "./detections-reader.js";
import { collectedError, describe, isId } from "./ground-truth.js";
import { parseJsonText } from "./read-json.js";
import type { DetectionTable, GroundTruth } from "./types.js";
import { EMPTY_BOX_MESSAGE, ErrorCollector, UNKNOWN_CATEGORY_MESSAGE, WarningCounter } from "./warnings.js";

/** Detections as given to an evaluator: parsed JSON, or the file's bytes (read by the fast reader). */
export type DetectionsInput = { json: unknown } | { bytes: Uint8Array };

/**
 * Detections from either form. Bytes go through the fast reader; anything it
 * does not recognise is parsed with JSON.parse and checked by parseDetections,
 * so errors read the same either way.
 */
export function loadDetections(
  input: DetectionsInput,
  gt: GroundTruth,
  source: string,
  opts: { emptyBoxMessage?: string } = {},
): DetectionTable {
  if ("bytes" in input) {
    const fast = readDetectionBytes(input.bytes, gt, source, opts.emptyBoxMessage);
    if (fast) return fast;
    return parseDetections(parseJsonText(decodeUtf8(input.bytes), source, "predictions"), gt, source, opts);
  }
  return parseDetections(input.json, gt, source, opts);
}

/** The JSON value of a detections input (for families that read it as a whole). */
export function detectionsJson(input: DetectionsInput, source: string): unknown {
  return "bytes" in input ? parseJsonText(decodeUtf8(input.bytes), source, "predictions") : input.json;
}

function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder("utf-8").decode(bytes);
}

/**
 * Checks a detections JSON value (COCO results format: an array of
 * `{image_id, category_id, bbox: [x, y, w, h], score}`) against its ground truth
 * and turns it into columns, file order kept.
 *
 * - an image id not in the ground truth is an error (pycocotools' loadRes asserts the same);
 * - a category id not in the ground truth is a counted warning, and the detection is
 *   ignored — pycocotools drops it the same way, through its category filter;
 * - a missing/non-finite score or box, or a negative width/height, is an error;
 * - a zero-width or zero-height box is a counted warning: it overlaps nothing and is a
 *   false positive, exactly as in pycocotools.
 */
export function parseDetections(
  json: unknown,
  gt: GroundTruth,
  source: string,
  opts: { needBox?: boolean; emptyBoxMessage?: string } = {},
): DetectionTable {
  const needBox = opts.needBox ?? true;
  if (!Array.isArray(json)) {
    throw new UserError(
      `${source}: detections must be a JSON array of {image_id, category_id, bbox, score}, got ${describe(json)}`,
    );
  }
  const n = json.length;
  const image = new Int32Array(n);
  const category = new Int32Array(n);
  const bbox = new Float64Array(needBox ? 4 * n : 0);
  const score = new Float64Array(n);
  const errors = new ErrorCollector();
  const warnings = new WarningCounter();
  const { imageIndex, categoryIndex } = gt;
  for (let i = 0; i < n; i++) {
    const d = json[i] as Record<string, unknown> | null;
    if (typeof d !== "object" || d === null || Array.isArray(d)) {
      errors.add(`[${i}]: a detection must be an object, got ${describe(d)}`);
      continue;
    }
    const img = imageIndex.get(d.image_id as never);
    if (img === undefined) {
      errors.add(
        isId(d.image_id)
          ? `[${i}]: "image_id" ${describe(d.image_id)} is not an image of the ground truth ${gt.source}`
          : `[${i}]: "image_id" must be a number or string, got ${describe(d.image_id)}`,
      );
      continue;
    }
    image[i] = img;
    const cat = categoryIndex.get(d.category_id as never);
    if (cat === undefined) {
      if (!isId(d.category_id)) {
        errors.add(`[${i}]: "category_id" must be a number or string, got ${describe(d.category_id)}`);
        continue;
      }
      warnings.add(
        "dt-unknown-category",
        UNKNOWN_CATEGORY_MESSAGE,
        `[${i}] category_id ${describe(d.category_id)}`,
      );
      category[i] = -1;
    } else {
      category[i] = cat;
    }
    const s = d.score;
    if (typeof s !== "number" || !Number.isFinite(s)) {
      errors.add(`[${i}]: "score" must be a finite number, got ${describe(s)}`);
      continue;
    }
    // -0 and +0 compare equal in every reference tool's sort; keep one of them.
    score[i] = s + 0;
    if (!needBox) continue;
    const b = d.bbox as unknown[];
    if (!Array.isArray(b) || b.length !== 4) {
      errors.add(`[${i}]: "bbox" must be 4 finite numbers [x, y, width, height], got ${describe(b)}`);
      continue;
    }
    const x = b[0];
    const y = b[1];
    const w = b[2];
    const h = b[3];
    if (
      typeof x !== "number" ||
      typeof y !== "number" ||
      typeof w !== "number" ||
      typeof h !== "number" ||
      !Number.isFinite(x) ||
      !Number.isFinite(y) ||
      !Number.isFinite(w) ||
      !Number.isFinite(h)
    ) {
      errors.add(`[${i}]: "bbox" must be 4 finite numbers [x, y, width, height], got ${describe(b)}`);
      continue;
    }
    if (w < 0 || h < 0) {
      errors.add(`[${i}]: "bbox" has a negative width or height: ${describe(b)}`);
      continue;
    }
    if (w === 0 || h === 0) {
      warnings.add("dt-empty-box", opts.emptyBoxMessage ?? EMPTY_BOX_MESSAGE, `[${i}]`);
    }
    bbox[4 * i] = x;
    bbox[4 * i + 1] = y;
    bbox[4 * i + 2] = w;
    bbox[4 * i + 3] = h;
  }
  if (errors.count > 0) throw collectedError(source, "detections", errors);
  return { source, length: n, image, category, bbox, score, warnings: warnings.list() };
}
