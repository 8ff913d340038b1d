// The summarize() stage shared by COCO and LVIS: a summary number is the mean
// of the accumulated precision (AP) or recall (AR) values > -1 over a slice of
// the arrays — IoU thresholds, recall thresholds and categories, at one area
// range and one maxDets. The values are visited in NumPy's C order (t, r, k)
// and summed as NumPy sums them, so the mean is bit-identical to
// np.mean(s[s > -1]). A slice with no value > -1 gives -1, as in pycocotools.

import type { Accumulation } from "./accumulate.js";
import { npMean } from "./numpy-compat.js";

export interface StatSpec {
  name: string;
  kind: "ap" | "ar";
  /** One IoU threshold (matched by exact equality, as np.where does), or all of them. */
  iouThr?: number;
  /** Area range label. */
  area: string;
  /** maxDets value (must be one of the accumulated maxDets, else the stat is -1). */
  maxDet: number;
  /** Category positions to average over (LVIS frequency groups); all when absent. */
  categories?: readonly number[];
}

export function summarizeStat(acc: Accumulation, areaLabels: readonly string[], spec: StatSpec): number {
  const [T, R, K, A, M] = acc.counts;
  const ts: number[] = [];
  for (let t = 0; t < T; t++) if (spec.iouThr === undefined || acc.iouThrs[t] === spec.iouThr) ts.push(t);
  const a = areaLabels.indexOf(spec.area);
  const mi = acc.maxDets.indexOf(spec.maxDet);
  if (a < 0 || mi < 0 || ts.length === 0) return -1;
  const ks = spec.categories ?? Array.from({ length: K }, (_, k) => k);
  const values = new Float64Array(ts.length * (spec.kind === "ap" ? R : 1) * ks.length);
  let n = 0;
  if (spec.kind === "ap") {
    for (const t of ts) {
      for (let r = 0; r < R; r++) {
        for (const k of ks) {
          const v = acc.precision[(((t * R + r) * K + k) * A + a) * M + mi]!;
          if (v > -1) values[n++] = v;
        }
      }
    }
  } else {
    for (const t of ts) {
      for (const k of ks) {
        const v = acc.recall[((t * K + k) * A + a) * M + mi]!;
        if (v > -1) values[n++] = v;
      }
    }
  }
  return n === 0 ? -1 : npMean(values, n);
}

/**
 * AP of one category at one area range and maxDets: the mean of its precision
 * values > -1 over IoU and recall thresholds (detectron2's per-category AP);
 * null when the category has no ground truth there.
 */
export function categoryAp(acc: Accumulation, k: number, a: number, mi: number): number | null {
  const [T, R, K, A, M] = acc.counts;
  const values = new Float64Array(T * R);
  let n = 0;
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < R; r++) {
      const v = acc.precision[(((t * R + r) * K + k) * A + a) * M + mi]!;
      if (v > -1) values[n++] = v;
    }
  }
  return n === 0 ? null : npMean(values, n);
}
