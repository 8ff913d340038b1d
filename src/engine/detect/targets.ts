// Anchor targets for a batch: IoU matching (matcher.ts) and box encoding,
// done in JavaScript on the CPU side of the step (a few thousand anchors × a
// few boxes per image), deterministic on every backend.

import type { AnchorSet } from "./anchors.js";
import type { BoxCoder } from "./boxes.js";
import type { AnchorTargets, ImageTargets } from "./detector.js";
import { BACKGROUND, IGNORE, type MatcherOptions, matchAnchors } from "./matcher.js";

export function assignAnchorTargets(
  anchors: AnchorSet,
  coder: BoxCoder,
  matcher: MatcherOptions,
  targets: ImageTargets[],
): AnchorTargets {
  const p = anchors.count;
  const b = targets.length;
  const labels = new Int32Array(b * p);
  const matched = new Int32Array(b * p).fill(-1);
  const deltas = new Float32Array(b * p * 4);
  let numForeground = 0;
  targets.forEach((t, i) => {
    const m = matchAnchors(anchors.boxes, p, t.boxes, matcher);
    for (let k = 0; k < p; k++) {
      const g = m[k]!;
      const o = i * p + k;
      if (g >= 0) {
        labels[o] = t.classes[g]!;
        matched[o] = g;
        coder.encode(anchors.boxes.subarray(4 * k, 4 * k + 4), t.boxes[g]!, deltas, 4 * o);
        numForeground++;
      } else {
        labels[o] = g;
      }
    }
  });
  return { batch: b, anchors: p, labels, deltas, matched, numForeground };
}

/**
 * The targets with every background anchor of the flagged images turned to
 * IGNORE: their classification then learns from matched (positive) anchors
 * only, no background and no hard negatives, while the box loss is unchanged
 * (AL-SSL's pseudo-labelled images, METHODS.md §1a). Anchors already ignored
 * and other images are untouched.
 */
export function keepPositivesOnly(t: AnchorTargets, images: readonly boolean[]): AnchorTargets {
  if (images.length !== t.batch)
    throw new Error(`keepPositivesOnly: ${images.length} flags for a batch of ${t.batch}`);
  if (!images.some(Boolean)) return t;
  const labels = Int32Array.from(t.labels);
  images.forEach((flag, b) => {
    if (!flag) return;
    for (let k = b * t.anchors; k < (b + 1) * t.anchors; k++)
      if (labels[k] === BACKGROUND) labels[k] = IGNORE;
  });
  return { ...t, labels };
}
