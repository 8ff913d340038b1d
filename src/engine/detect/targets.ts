// Anchor targets for a batch: IoU matching (matcher.ts) and box encoding,
// done in JavaScript on the CPU side of the step (a few thousand anchors × a
// few boxes per image), deterministic on every backend.

import type { AnchorSet } from "./anchors.js";
import type { BoxCoder } from "./boxes.js";
import type { AnchorTargets, ImageTargets } from "./detector.js";
import { type MatcherOptions, matchAnchors } from "./matcher.js";

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
