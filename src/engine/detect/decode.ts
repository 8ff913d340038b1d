// From per-anchor class probabilities and box deltas to detections:
// threshold, top-k per pyramid level, decode, class-wise NMS, max detections
// (RetinaNet inference in cvpods/detectron2, METHODS.md §2a; SSD Detect, §1a).

import type { AnchorSet } from "./anchors.js";
import type { BoxCoder } from "./boxes.js";
import type { RawDetection } from "./detector.js";
import { classwiseNms, topK } from "./nms.js";

export interface DenseDecodeOptions {
  /** Probabilities per anchor: K values, of which classes start at classOffset (1 when index 0 is background). */
  numScores: number;
  classOffset: number;
  scoreThreshold: number;
  topKPerLevel: number;
  nmsIou: number;
  maxDetections: number;
  /** Clip boxes to the input image. */
  clip?: boolean;
}

/** probs: [B, P, K] flattened; deltas: [B, P, 4] flattened. */
export function decodeDense(
  probs: Float32Array,
  deltas: Float32Array,
  batch: number,
  anchors: AnchorSet,
  coder: BoxCoder,
  o: DenseDecodeOptions,
): RawDetection[][] {
  const p = anchors.count;
  const k = o.numScores;
  const numClasses = k - o.classOffset;
  const out: RawDetection[][] = [];
  for (let b = 0; b < batch; b++) {
    const candAnchor: number[] = [];
    const candClass: number[] = [];
    const candScore: number[] = [];
    for (const level of anchors.levels) {
      const scores: number[] = [];
      const idx: number[] = [];
      const flat: number[] = [];
      for (let a = level.offset; a < level.offset + level.count; a++) {
        const row = (b * p + a) * k + o.classOffset;
        for (let c = 0; c < numClasses; c++) {
          const s = probs[row + c]!;
          if (s > o.scoreThreshold) {
            flat.push(a * numClasses + c);
            scores.push(s);
            idx.push(idx.length);
          }
        }
      }
      const s32 = Float32Array.from(scores);
      for (const i of topK(s32, idx, o.topKPerLevel)) {
        const f = flat[i]!;
        candAnchor.push(Math.floor(f / numClasses));
        candClass.push(f % numClasses);
        candScore.push(scores[i]!);
      }
    }
    const n = candAnchor.length;
    const boxes = new Float32Array(n * 4);
    const w = anchors.imageWidth;
    const h = anchors.imageHeight;
    for (let i = 0; i < n; i++) {
      const a = candAnchor[i]!;
      coder.decode(anchors.boxes.subarray(4 * a, 4 * a + 4), deltas, (b * p + a) * 4, boxes, 4 * i);
      if (o.clip ?? true) {
        boxes[4 * i] = Math.min(Math.max(boxes[4 * i]!, 0), w);
        boxes[4 * i + 1] = Math.min(Math.max(boxes[4 * i + 1]!, 0), h);
        boxes[4 * i + 2] = Math.min(Math.max(boxes[4 * i + 2]!, 0), w);
        boxes[4 * i + 3] = Math.min(Math.max(boxes[4 * i + 3]!, 0), h);
      }
    }
    const scores = Float32Array.from(candScore);
    const keep = classwiseNms(boxes, scores, Int32Array.from(candClass), o.nmsIou, o.maxDetections);
    out.push(
      keep.map((i) => ({
        box: [boxes[4 * i]!, boxes[4 * i + 1]!, boxes[4 * i + 2]!, boxes[4 * i + 3]!],
        score: scores[i]!,
        label: candClass[i]!,
        anchor: candAnchor[i]!,
      })),
    );
  }
  return out;
}
