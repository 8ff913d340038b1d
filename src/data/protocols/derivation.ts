import type { JsonValue } from "../../spec/types.js";
import { UserError } from "../../util/errors.js";
import { CROWD, type DetectionDataset } from "../detection-dataset.js";

/**
 * What a label protocol decides, as indices into the full dataset: which
 * images training sees with labels, which without, and which boxes stay
 * visible. Writers turn it into files in the dataset's own format.
 */
export interface Derivation {
  /** Images whose (kept) labels training may see, ascending (= file order). */
  labeled: Int32Array;
  /** Images training may use without any label, ascending. */
  unlabeled: Int32Array;
  /** Annotation indices that stay visible, ascending; all lie on labeled images. */
  kept: Int32Array;
  /** single-positive: the one observed positive category index per labeled image (parallel to `labeled`). */
  observed?: Int32Array;
  /** Images held out for validation with their full labels (Cole et al.'s split), ascending. */
  holdout?: Int32Array;
  /** Protocol facts for the manifest: requested vs. actual sizes, rules applied. */
  details: { [key: string]: JsonValue };
}

/** Every annotation index of the given images (ascending image indices → ascending result). */
export function annotationsOfImages(ds: DetectionDataset, images: Int32Array): Int32Array {
  let n = 0;
  const { start, order } = ds.byImage;
  for (const i of images) n += (start[i + 1] as number) - (start[i] as number);
  const out = new Int32Array(n);
  let k = 0;
  for (const i of images) {
    for (let j = start[i] as number; j < (start[i + 1] as number); j++) out[k++] = order[j] as number;
  }
  return out.sort();
}

/** Ascending image indices not in `chosen` (which must be ascending). */
export function complement(total: number, chosen: Int32Array): Int32Array {
  const out = new Int32Array(total - chosen.length);
  let k = 0;
  let c = 0;
  for (let i = 0; i < total; i++) {
    if (c < chosen.length && chosen[c] === i) c++;
    else out[k++] = i;
  }
  return out;
}

/** All indices 0..n-1. */
export function everything(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

export function isCrowd(ds: DetectionDataset, a: number): boolean {
  return ((ds.annotations.flags[a] as number) & CROWD) !== 0;
}

/** The id of an image as the string protocol RNGs are keyed by. */
export function imageKey(ds: DetectionDataset, i: number): string {
  return String(ds.images.ids[i]);
}

/** Resolves `fraction` or `count` to a number of images out of `total` (floor, as STAC/mmdet do: METHODS.md §6). */
export function sizeOf(
  spec: { fraction?: number | undefined; count?: number | undefined },
  total: number,
  where: string,
): number {
  const { fraction, count } = spec;
  if (fraction !== undefined && count !== undefined) {
    throw new UserError(`${where}: give either fraction or count, not both`);
  }
  if (fraction !== undefined) {
    if (!(fraction > 0 && fraction <= 1))
      throw new UserError(`${where}.fraction must be in (0, 1], got ${fraction}`);
    return Math.floor(fraction * total);
  }
  if (count !== undefined) {
    if (!Number.isInteger(count) || count < 0)
      throw new UserError(`${where}.count must be a whole number ≥ 0, got ${count}`);
    if (count > total)
      throw new UserError(`${where}.count is ${count}, but the dataset has only ${total} images`);
    return count;
  }
  throw new UserError(`${where}: needs fraction or count`);
}
