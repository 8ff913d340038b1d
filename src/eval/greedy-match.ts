// Per image × category matching shared by the COCO and LVIS evaluators — the
// `evaluate()` stage of pycocotools' COCOeval and lvis-api's LVISEval, which
// differ only in the flags they feed in (crowd regions; per-detection
// "ignore if unmatched"; the per-image cap).
//
// For each (category, image) pair with detections or ground truth:
//  - detections are ranked by score (stable) and cut at `maxDet`;
//  - for every area range, ground truth outside it (or ignored/crowd) is marked
//    ignored and sorted last (stable);
//  - for every IoU threshold t, each detection in score order takes the unmatched
//    ground truth with the highest IoU ≥ min(t, 1 − 1e-10), preferring
//    non-ignored ones: once matched to a regular object it never switches to an
//    ignored one; a crowd region can be matched any number of times;
//  - a detection matched to ignored ground truth is ignored; an unmatched one
//    is ignored when its own area is outside the range, or when the caller flags
//    it (LVIS: a category that is not exhaustively annotated in that image).

import { cocoIou } from "./box-iou.js";
import { groupBy, identityOrder, sortRunDescending } from "./stable-order.js";

/** A detection's outcome at one (area range, IoU threshold). */
export const FP = 0;
export const TP = 1;
export const IGNORED = 2;

/** At most this many IoU thresholds: a detection's outcomes over them are bits of one 32-bit word. */
export const MAX_IOU_THRESHOLDS = 32;

export interface MatchParams {
  iouThrs: readonly number[];
  /** [min, max] object area, both inclusive. */
  areaRng: readonly (readonly [number, number])[];
  /** Detections kept per (image, category) after ranking by score: pycocotools maxDets[-1]; LVIS Infinity. */
  maxDet: number;
  /** Also record which ground truth each detection matched (for inspection). */
  keepMatches?: boolean;
}

/** Ground truth rows as the matcher sees them; rank -1 drops a row. */
export interface MatchGt {
  length: number;
  /** Position of the row's image in evaluation order (sorted ids), or -1. */
  image: Int32Array;
  /** Position of the row's category in evaluation order, or -1. */
  category: Int32Array;
  bbox: Float64Array;
  area: Float64Array;
  /** Crowd region: IoU over the detection's area, matchable many times. */
  crowd: Uint8Array | null;
  /** Always ignored (COCO: iscrowd; LVIS: ignore). */
  ignore: Uint8Array;
  /**
   * Rows a match to which never counts (null = none): pycocotools and lvis-api
   * store a detection's match as the ground truth's id, and id 0 reads back as
   * "unmatched" (eval.compat pycocotools / lvis-api). Such a row is still taken
   * by the detection; the detection is ignored where the ground truth is, or
   * where it would be ignored unmatched, and is otherwise a false positive.
   */
  matchLost: Uint8Array | null;
}

export interface MatchDt {
  length: number;
  image: Int32Array;
  category: Int32Array;
  bbox: Float64Array;
  score: Float64Array;
  /** Ignored when unmatched (LVIS not-exhaustive categories); null = never. */
  ignoreUnmatched: Uint8Array | null;
}

/**
 * The evaluate() result: one entry per kept detection, laid out by category,
 * then image (evaluation order), then score rank — the order in which
 * pycocotools concatenates its per-image results.
 */
export interface Matching {
  numImages: number;
  numCategories: number;
  iouThrs: readonly number[];
  areaRng: readonly (readonly [number, number])[];
  maxDet: number;
  /** Kept detections of category k are positions categoryStart[k] … categoryStart[k+1]-1. */
  categoryStart: Uint32Array;
  /** Detection row (index into the detections as given) at each position. */
  detection: Uint32Array;
  image: Int32Array;
  /** Rank of the detection among its image's detections of that category (0 = best score). */
  rank: Uint32Array;
  score: Float64Array;
  /** Bit t of tp[p * A + a]: the detection at position p is a true positive at area range a, threshold t. */
  tp: Uint32Array;
  /** Bit t of ignored[p * A + a]: it is ignored there. Neither bit: a false positive. */
  ignored: Uint32Array;
  /** matched[(a * T + t) * N + p]: matched ground-truth row or -1 (only with keepMatches). */
  matched: Int32Array | null;
  /** Non-ignored ground truth per (category, area range): numGt[k * A + a]. */
  numGt: Float64Array;
}

export function matchDetections(
  gt: MatchGt,
  dt: MatchDt,
  params: MatchParams,
  numImages: number,
  numCategories: number,
): Matching {
  const { iouThrs, areaRng, maxDet } = params;
  const T = iouThrs.length;
  const A = areaRng.length;
  // Ground truth by category, then image, file order kept.
  const gtByImage = groupBy(identityOrder(gt.length), gt.image, numImages);
  const gtGroups = groupBy(gtByImage.order, gt.category, numCategories);
  // Detections by category, then image (file order kept), then each run by score (stable: ties keep file order).
  const dtByImage = groupBy(identityOrder(dt.length), dt.image, numImages);
  const dtGroups = groupBy(dtByImage.order, dt.category, numCategories);

  // Count the kept detections first so every array is allocated once.
  let N = 0;
  const categoryStart = new Uint32Array(numCategories + 1);
  for (let k = 0; k < numCategories; k++) {
    const end = dtGroups.offsets[k + 1]!;
    let p = dtGroups.offsets[k]!;
    while (p < end) {
      const img = dt.image[dtGroups.order[p]!]!;
      let q = p;
      while (q < end && dt.image[dtGroups.order[q]!] === img) q++;
      sortRunDescending(dtGroups.order, p, q, dt.score);
      N += Math.min(q - p, maxDet);
      p = q;
    }
    categoryStart[k + 1] = N;
  }
  const detection = new Uint32Array(N);
  const image = new Int32Array(N);
  const rank = new Uint32Array(N);
  const score = new Float64Array(N);
  // Boxes, areas and flags gathered into position order once, so the loops
  // below read memory in sequence instead of jumping around the input.
  const box = new Float64Array(4 * N);
  const dtArea = new Float64Array(N);
  const dtFlag = new Uint8Array(N);
  if (T > MAX_IOU_THRESHOLDS) throw new RangeError(`at most ${MAX_IOU_THRESHOLDS} IoU thresholds, got ${T}`);
  const tpBits = new Uint32Array(N * A);
  const ignoredBits = new Uint32Array(N * A);
  const allBits = T === 32 ? 0xffffffff : (1 << T) - 1;
  const matched = params.keepMatches ? new Int32Array(A * T * N).fill(-1) : null;
  const numGt = new Float64Array(numCategories * A);

  const thresholds = iouThrs.map((t) => Math.min(t, 1 - 1e-10));
  const minThr = Math.min(...thresholds);
  let iou = new Float64Array(256);
  let candAll = new Uint32Array(256);
  let candOrd = new Uint32Array(256);
  let candCount = new Uint32Array(16);
  let gtRows = new Uint32Array(16);
  let gtIgnored = new Uint8Array(16);
  let gtTaken = new Float64Array(16);
  let takenStamp = 0;
  let gtCrowd = new Uint8Array(16);
  let dtOut = new Uint8Array(16);

  let pos = 0;
  for (let k = 0; k < numCategories; k++) {
    let gp = gtGroups.offsets[k]!;
    const gEnd = gtGroups.offsets[k + 1]!;
    let dp = dtGroups.offsets[k]!;
    const dEnd = dtGroups.offsets[k + 1]!;
    while (gp < gEnd || dp < dEnd) {
      const gImg = gp < gEnd ? gt.image[gtGroups.order[gp]!]! : numImages;
      const dImg = dp < dEnd ? dt.image[dtGroups.order[dp]!]! : numImages;
      const img = Math.min(gImg, dImg);
      let G = 0;
      while (gp < gEnd && gt.image[gtGroups.order[gp]!] === img) {
        if (G === gtRows.length) {
          gtRows = grow(gtRows);
          gtIgnored = new Uint8Array(gtRows.length);
          gtTaken = new Float64Array(gtRows.length);
          gtCrowd = new Uint8Array(gtRows.length);
        }
        gtRows[G++] = gtGroups.order[gp++]!;
      }
      let D = 0;
      const first = pos;
      while (dp < dEnd && dt.image[dtGroups.order[dp]!] === img) {
        if (D < maxDet) {
          const row = dtGroups.order[dp]!;
          detection[pos] = row;
          image[pos] = img;
          rank[pos] = D;
          score[pos] = dt.score[row]!;
          const w = dt.bbox[4 * row + 2]!;
          const h = dt.bbox[4 * row + 3]!;
          box[4 * pos] = dt.bbox[4 * row]!;
          box[4 * pos + 1] = dt.bbox[4 * row + 1]!;
          box[4 * pos + 2] = w;
          box[4 * pos + 3] = h;
          dtArea[pos] = w * h;
          dtFlag[pos] = dt.ignoreUnmatched !== null ? dt.ignoreUnmatched[row]! : 0;
          pos++;
          D++;
        }
        dp++;
      }
      if (G === 0) {
        // No ground truth: every detection is unmatched, ignored exactly when its area is out of range.
        for (let d = first; d < first + D; d++) {
          const ar = dtArea[d]!;
          const flag = dtFlag[d] === 1;
          for (let a = 0; a < A; a++) {
            const [lo, hi] = areaRng[a]!;
            if (flag || ar < lo || ar > hi) ignoredBits[d * A + a] = allBits;
          }
        }
        continue;
      }
      if (D > dtOut.length) dtOut = new Uint8Array(Math.max(D, 2 * dtOut.length));
      if (D > candCount.length) candCount = new Uint32Array(Math.max(D, 2 * candCount.length));
      if (D * G > iou.length) {
        const size = Math.max(D * G, 2 * iou.length);
        iou = new Float64Array(size);
        candAll = new Uint32Array(size);
        candOrd = new Uint32Array(size);
      }
      if (D > 0 && G > 0) cocoIou(box, first, D, gt.bbox, gtRows, G, gt.crowd, iou);
      // Candidates: the ground truth a detection overlaps by at least the lowest
      // threshold. Any other ground truth fails "IoU ≥ best" at every threshold,
      // so skipping it leaves every decision as it was (and the "stop at ignored
      // ground truth" rule still fires at the next ignored candidate).
      let anyCandidate = false;
      for (let d = 0; d < D; d++) {
        let c = 0;
        const row = d * G;
        for (let g = 0; g < G; g++) if (iou[row + g]! >= minThr) candAll[row + c++] = g;
        candCount[d] = c;
        if (c > 0) anyCandidate = true;
      }
      for (let g = 0; g < G; g++) gtCrowd[g] = gt.crowd !== null && gt.crowd[gtRows[g]!] === 1 ? 1 : 0;

      for (let a = 0; a < A; a++) {
        const [lo, hi] = areaRng[a]!;
        let regular = 0;
        for (let g = 0; g < G; g++) {
          const row = gtRows[g]!;
          const ar = gt.area[row]!;
          const ig = gt.ignore[row] === 1 || ar < lo || ar > hi ? 1 : 0;
          gtIgnored[g] = ig;
          if (!ig) regular++;
        }
        numGt[k * A + a]! += regular;
        if (D === 0) continue;
        // Each detection's candidates with ignored ground truth last (stable), as
        // pycocotools sorts the ground truth before matching.
        for (let d = 0; d < D; d++) {
          const row = d * G;
          const n = candCount[d]!;
          let c = 0;
          for (let i = 0; i < n; i++)
            if (!gtIgnored[candAll[row + i]!]) candOrd[row + c++] = candAll[row + i]!;
          for (let i = 0; i < n; i++)
            if (gtIgnored[candAll[row + i]!]) candOrd[row + c++] = candAll[row + i]!;
          const ar = dtArea[first + d]!;
          dtOut[d] = ar < lo || ar > hi || dtFlag[first + d] === 1 ? 1 : 0;
        }
        for (let d = 0; d < D; d++) {
          if (candCount[d] === 0) ignoredBits[(first + d) * A + a] = dtOut[d] ? allBits : 0;
        }
        if (!anyCandidate) continue;
        for (let t = 0; t < T; t++) {
          const bit = 1 << t;
          // "Taken" is gtTaken[g] === stamp: a fresh stamp per (group, area, threshold) clears it in O(1).
          const stamp = ++takenStamp;
          const thr = thresholds[t]!;
          for (let d = 0; d < D; d++) {
            const n = candCount[d]!;
            if (n === 0) continue;
            let m = -1;
            let best = thr;
            const row = d * G;
            for (let i = 0; i < n; i++) {
              const g = candOrd[row + i]!;
              if (gtTaken[g] === stamp && !gtCrowd[g]) continue;
              if (m > -1 && gtIgnored[m] === 0 && gtIgnored[g] === 1) break;
              const v = iou[row + g]!;
              if (v < best) continue;
              best = v;
              m = g;
            }
            const at = (first + d) * A + a;
            if (m === -1) {
              if (dtOut[d]) ignoredBits[at]! |= bit;
            } else {
              gtTaken[m] = stamp;
              if (gtIgnored[m]) ignoredBits[at]! |= bit;
              else if (gt.matchLost !== null && gt.matchLost[gtRows[m]!] === 1) {
                if (dtOut[d]) ignoredBits[at]! |= bit;
              } else tpBits[at]! |= bit;
              if (matched !== null) matched[(a * T + t) * N + first + d] = gtRows[m]!;
            }
          }
        }
      }
    }
  }
  return {
    numImages,
    numCategories,
    iouThrs,
    areaRng,
    maxDet,
    categoryStart,
    detection,
    image,
    rank,
    score,
    tp: tpBits,
    ignored: ignoredBits,
    matched,
    numGt,
  };
}

function grow(a: Uint32Array): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(2 * a.length);
  b.set(a);
  return b;
}

/** FP, TP or IGNORED for the detection at position p, area range a, IoU threshold t. */
export function outcomeAt(m: Matching, p: number, a: number, t: number): number {
  const at = p * m.areaRng.length + a;
  if ((m.tp[at]! >>> t) & 1) return TP;
  if ((m.ignored[at]! >>> t) & 1) return IGNORED;
  return FP;
}
