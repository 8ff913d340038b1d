// Greedy non-maximum suppression, per class, in plain JavaScript (the same
// result on every backend; ties broken by candidate order).

import { iou } from "./boxes.js";

/** Candidate order by score, highest first; equal scores keep their input order. */
function byScore(scores: Float32Array, idx: number[]): number[] {
  return idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/**
 * Indices of the boxes kept by greedy NMS within each class (a box suppresses
 * later boxes of its class with IoU > iouThreshold), at most maxOut overall,
 * highest score first.
 */
export function classwiseNms(
  boxes: Float32Array,
  scores: Float32Array,
  classes: Int32Array,
  iouThreshold: number,
  maxOut: number,
): number[] {
  const perClass = new Map<number, number[]>();
  for (let i = 0; i < scores.length; i++) {
    const c = classes[i]!;
    const list = perClass.get(c);
    if (list) list.push(i);
    else perClass.set(c, [i]);
  }
  const kept: number[] = [];
  const bi = [0, 0, 0, 0];
  const bj = [0, 0, 0, 0];
  for (const idx of perClass.values()) {
    const order = byScore(scores, idx);
    const keep: number[] = [];
    for (const i of order) {
      bi[0] = boxes[4 * i]!;
      bi[1] = boxes[4 * i + 1]!;
      bi[2] = boxes[4 * i + 2]!;
      bi[3] = boxes[4 * i + 3]!;
      let suppressed = false;
      for (const j of keep) {
        bj[0] = boxes[4 * j]!;
        bj[1] = boxes[4 * j + 1]!;
        bj[2] = boxes[4 * j + 2]!;
        bj[3] = boxes[4 * j + 3]!;
        if (iou(bi, bj) > iouThreshold) {
          suppressed = true;
          break;
        }
      }
      if (!suppressed) {
        keep.push(i);
        if (keep.length >= maxOut) break;
      }
    }
    kept.push(...keep);
  }
  return byScore(scores, kept).slice(0, maxOut);
}

/** Indices of the k largest scores (ties by index), all when k ≥ length. */
export function topK(scores: Float32Array, candidates: number[], k: number): number[] {
  const sorted = byScore(scores, candidates);
  return sorted.length > k ? sorted.slice(0, k) : sorted;
}
