// Anchor-to-ground-truth assignment by IoU.
//
// RetinaNet (Co-mining's code, METHODS.md §2a): IoU ≥ 0.5 foreground, < 0.4
// background, in between ignored, allow_low_quality_matches (every ground
// truth also takes the anchors that overlap it best).
// SSD (CSD's code, §1a): IoU ≥ 0.5 foreground, the rest background, and each
// ground truth is forced onto its single best anchor.

import type { Box } from "./boxes.js";
import { iou } from "./boxes.js";

export const BACKGROUND = -1;
export const IGNORE = -2;

export interface MatcherOptions {
  /** IoU at or above which an anchor is foreground. */
  fg: number;
  /** IoU below which an anchor is background (between bg and fg: ignored). */
  bg: number;
  /** RetinaNet: anchors tied for a ground truth's best IoU become foreground for it. */
  lowQuality: "all-best" | "single-best" | "none";
}

export const RETINANET_MATCHER: MatcherOptions = { fg: 0.5, bg: 0.4, lowQuality: "all-best" };
export const SSD_MATCHER: MatcherOptions = { fg: 0.5, bg: 0.5, lowQuality: "single-best" };

/**
 * For each of `count` anchors (xyxy in `anchors`), the index of the ground
 * truth it is assigned to, or BACKGROUND / IGNORE.
 */
export function matchAnchors(
  anchors: Float32Array,
  count: number,
  gts: Box[],
  opt: MatcherOptions,
): Int32Array {
  const out = new Int32Array(count).fill(BACKGROUND);
  const g = gts.length;
  if (g === 0) return out;
  const ious = new Float32Array(count * g);
  const bestGt = new Int32Array(count);
  const gtBest = new Float32Array(g);
  const a = [0, 0, 0, 0];
  for (let k = 0; k < count; k++) {
    a[0] = anchors[4 * k]!;
    a[1] = anchors[4 * k + 1]!;
    a[2] = anchors[4 * k + 2]!;
    a[3] = anchors[4 * k + 3]!;
    let best = 0;
    bestGt[k] = 0;
    for (let j = 0; j < g; j++) {
      const v = iou(a, gts[j]!);
      ious[k * g + j] = v;
      if (v > best) {
        best = v;
        bestGt[k] = j;
      }
      if (v > gtBest[j]!) gtBest[j] = v;
    }
    out[k] = best >= opt.fg ? bestGt[k]! : best < opt.bg ? BACKGROUND : IGNORE;
  }
  if (opt.lowQuality === "all-best") {
    // detectron2's allow_low_quality_matches: such an anchor becomes foreground
    // for the ground truth it overlaps most (which may be another one).
    for (let j = 0; j < g; j++) {
      if (gtBest[j]! <= 0) continue;
      for (let k = 0; k < count; k++) if (ious[k * g + j] === gtBest[j]) out[k] = bestGt[k]!;
    }
  } else if (opt.lowQuality === "single-best") {
    // CSD/SSD match(): best_truth_idx[best_prior_idx[j]] = j, in ground-truth order.
    for (let j = 0; j < g; j++) {
      if (gtBest[j]! <= 0) continue;
      for (let k = 0; k < count; k++) {
        if (ious[k * g + j] === gtBest[j]) {
          out[k] = j;
          break;
        }
      }
    }
  }
  return out;
}
