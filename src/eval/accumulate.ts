// The accumulate() stage shared by COCO and LVIS: per category, area range,
// maxDets and IoU threshold, the precision/recall curve over all images and its
// 101-point interpolated precision — pycocotools' COCOeval.accumulate, op for op:
//  - detections of all images are ranked by score with a stable sort (ties keep
//    image order, then rank within the image);
//  - ignored detections stay in the ranking but count neither as TP nor FP;
//  - precision = tp / (tp + fp + eps), recall = tp / (non-ignored ground truth);
//  - precision is made non-increasing from the right, then read at the first
//    rank whose recall reaches each recall threshold (searchsorted "left");
//    thresholds beyond the final recall get precision 0;
//  - a (category, area) without non-ignored ground truth keeps precision,
//    recall and scores at -1.

import { FP, type Matching, TP } from "./greedy-match.js";
import { descendingScoreOrder } from "./stable-order.js";

/** np.spacing(1): the gap between 1 and the next float64. */
const EPS = 2.220446049250313e-16;

export interface Accumulation {
  /** [T, R, K, A, M]: IoU thresholds, recall thresholds, categories, area ranges, maxDets. */
  counts: [number, number, number, number, number];
  iouThrs: readonly number[];
  recThrs: readonly number[];
  maxDets: readonly number[];
  /** precision[(((t * R + r) * K + k) * A + a) * M + m]; -1 where there is no ground truth. */
  precision: Float64Array;
  /** recall[((t * K + k) * A + a) * M + m]; -1 where there is no ground truth. */
  recall: Float64Array;
  /** Score of the detection where each precision value was read; laid out like precision. */
  scores: Float64Array;
}

export function accumulate(
  m: Matching,
  recThrs: readonly number[],
  maxDets: readonly number[],
): Accumulation {
  const T = m.iouThrs.length;
  const R = recThrs.length;
  const K = m.numCategories;
  const A = m.areaRng.length;
  const M = maxDets.length;
  const N = m.detection.length;
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const scores = new Float64Array(T * R * K * A * M).fill(-1);
  let rc = new Float64Array(1024);
  let pr = new Float64Array(1024);
  let list = new Uint32Array(1024);

  for (let k = 0; k < K; k++) {
    const start = m.categoryStart[k]!;
    const end = m.categoryStart[k + 1]!;
    const n = end - start;
    // One stable sort per category serves every area range and maxDets: the
    // ranking for a smaller maxDets is a subsequence of this one.
    const order = descendingScoreOrder(m.score.subarray(start, end), n);
    if (n > list.length) {
      list = new Uint32Array(n);
      rc = new Float64Array(n);
      pr = new Float64Array(n);
    }
    for (let mi = 0; mi < M; mi++) {
      const maxDet = maxDets[mi]!;
      let nd = 0;
      for (let i = 0; i < n; i++) {
        const p = start + order[i]!;
        if (m.rank[p]! < maxDet) list[nd++] = p;
      }
      for (let a = 0; a < A; a++) {
        const npig = m.numGt[k * A + a]!;
        if (npig === 0) continue;
        for (let t = 0; t < T; t++) {
          const base = (a * T + t) * N;
          let tp = 0;
          let fp = 0;
          for (let i = 0; i < nd; i++) {
            const o = m.outcome[base + list[i]!];
            if (o === TP) tp++;
            else if (o === FP) fp++;
            rc[i] = tp / npig;
            pr[i] = tp / (fp + tp + EPS);
          }
          recall[((t * K + k) * A + a) * M + mi] = nd > 0 ? rc[nd - 1]! : 0;
          for (let i = nd - 1; i > 0; i--) {
            if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
          }
          let pi = 0;
          for (let r = 0; r < R; r++) {
            const thr = recThrs[r]!;
            while (pi < nd && rc[pi]! < thr) pi++;
            const at = (((t * R + r) * K + k) * A + a) * M + mi;
            if (pi < nd) {
              precision[at] = pr[pi]!;
              scores[at] = m.score[list[pi]!]!;
            } else {
              precision[at] = 0;
              scores[at] = 0;
            }
          }
        }
      }
    }
  }
  return { counts: [T, R, K, A, M], iouThrs: m.iouThrs, recThrs, maxDets, precision, recall, scores };
}
