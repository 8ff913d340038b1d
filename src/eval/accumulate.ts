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

import type { Matching } from "./greedy-match.js";
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
  const precision = new Float64Array(T * R * K * A * M).fill(-1);
  const recall = new Float64Array(T * K * A * M).fill(-1);
  const scores = new Float64Array(T * R * K * A * M).fill(-1);
  let list = new Uint32Array(1024);
  // Per threshold t: the rank of each true positive (tpAt[t * cap + j], j = 1…)
  // and the precision there (prAt[t * cap + j]).
  let cap = 1024;
  let tpAt = new Uint32Array(T * cap);
  let prAt = new Float64Array(T * cap);
  const tpCount = new Float64Array(T);
  const fpExtra = new Float64Array(T);
  const allBits = T === 32 ? 0xffffffff : (1 << T) - 1;

  for (let k = 0; k < K; k++) {
    const start = m.categoryStart[k]!;
    const end = m.categoryStart[k + 1]!;
    const n = end - start;
    // One stable sort per category serves every area range and maxDets: the
    // ranking for a smaller maxDets is a subsequence of this one.
    const order = descendingScoreOrder(m.score.subarray(start, end), n);
    if (n + 1 > cap) {
      cap = n + 1;
      list = new Uint32Array(cap);
      tpAt = new Uint32Array(T * cap);
      prAt = new Float64Array(T * cap);
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
        // One pass down the ranking for all thresholds. Recall only changes at
        // true positives and precision only rises there, so only their ranks and
        // precisions are kept: tp / (fp + tp + eps), as pycocotools computes it.
        // A detection that is a false positive at every threshold (most of them)
        // only bumps a shared counter.
        tpCount.fill(0);
        fpExtra.fill(0);
        let allFp = 0;
        for (let i = 0; i < nd; i++) {
          const at = list[i]! * A + a;
          const tpm = m.tp[at]!;
          const igm = m.ignored[at]!;
          if (tpm === 0) {
            if (igm === 0) {
              allFp++;
              continue;
            }
            if (igm === allBits) continue;
          }
          for (let t = 0; t < T; t++) {
            const bit = 1 << t;
            if (tpm & bit) {
              const c = ++tpCount[t]!;
              tpAt[t * cap + c] = i;
              prAt[t * cap + c] = c / (allFp + fpExtra[t]! + c + EPS);
            } else if (!(igm & bit)) fpExtra[t]!++;
          }
        }
        for (let t = 0; t < T; t++) {
          const ntp = tpCount[t]!;
          const o = t * cap;
          // Interpolated precision: the max to the right.
          for (let j = ntp - 1; j >= 1; j--)
            if (prAt[o + j + 1]! > prAt[o + j]!) prAt[o + j] = prAt[o + j + 1]!;
          recall[((t * K + k) * A + a) * M + mi] = nd > 0 ? ntp / npig : 0;
          // searchsorted(recall, r, "left"): rank 0 for r ≤ 0 (recall ≥ 0 everywhere;
          // a leading non-TP has precision 0, so its interpolated value is the max of
          // all), otherwise the first true positive whose recall tp/npig reaches r.
          const at0 = ntp > 0 ? prAt[o + 1]! : 0;
          let j = 1;
          for (let r = 0; r < R; r++) {
            const thr = recThrs[r]!;
            const at = (((t * R + r) * K + k) * A + a) * M + mi;
            if (nd > 0 && thr <= 0) {
              precision[at] = at0;
              scores[at] = m.score[list[0]!]!;
              continue;
            }
            while (j <= ntp && j / npig < thr) j++;
            if (j <= ntp) {
              precision[at] = prAt[o + j]!;
              scores[at] = m.score[list[tpAt[o + j]!]!]!;
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
