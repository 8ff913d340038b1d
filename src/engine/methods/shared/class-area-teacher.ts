// The oracle teacher of RichSem's small-scale version (METHODS.md §4e, option
// ii): where the scene is known (`shapes`), the soft target of a box is the
// temperature-softened share of each class's visible pixel area inside it,
//   a_c = (area of class c inside the box) / (box area)    ∈ [0, 1],
//   p = softmax(scale · a / T),
// with `scale` the detector's cosine-logit scale, so a_c plays the part of
// CLIP's cosine similarity in softmax(100·cos(f, t_c)). Coverage comes from
// the renderer (which object owns each sub-pixel sample) and is moved through
// the same flips, scalings and mosaics as the pixels, so the shares describe
// exactly the augmented box the detector is trained on.

import type { SoftTeacher, TeacherBatch } from "./soft-teacher.js";
import { softmaxRow } from "./soft-teacher.js";

/** Overlap of pixel [p, p + 1) with [lo, hi). */
function overlap(p: number, lo: number, hi: number): number {
  return Math.max(0, Math.min(p + 1, hi) - Math.max(p, lo));
}

/**
 * Share of each class's coverage inside box [x1, y1, x2, y2] of one image
 * (coverage: H·W·K, row-major), pixels weighted by their overlap with the box.
 */
export function classAreaShares(
  coverage: Float32Array,
  height: number,
  width: number,
  numClasses: number,
  box: readonly number[],
): number[] {
  const [x1, y1, x2, y2] = box as [number, number, number, number];
  const shares = new Array<number>(numClasses).fill(0);
  const area = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  if (area <= 0) return shares;
  const ys = Math.max(0, Math.floor(y1));
  const ye = Math.min(height, Math.ceil(y2));
  const xs = Math.max(0, Math.floor(x1));
  const xe = Math.min(width, Math.ceil(x2));
  for (let y = ys; y < ye; y++) {
    const wy = overlap(y, y1, y2);
    for (let x = xs; x < xe; x++) {
      const w = wy * overlap(x, x1, x2);
      const o = (y * width + x) * numClasses;
      for (let c = 0; c < numClasses; c++) shares[c]! += w * coverage[o + c]!;
    }
  }
  return shares.map((v) => v / area);
}

export class ClassAreaTeacher implements SoftTeacher {
  readonly name = "oracle";
  readonly needsCoverage = true;

  constructor(
    private readonly numClasses: number,
    /** The detector's cosine-logit scale. */
    private readonly scale: number,
    private readonly temperature: number,
  ) {}

  targets(batch: TeacherBatch): number[][][] {
    if (!batch.coverage) throw new Error("the oracle teacher needs the batch's class coverage");
    const [b, h, w, k] = batch.coverage.shape;
    if (k !== this.numClasses) throw new Error(`coverage has ${k} classes, the detector ${this.numClasses}`);
    const data = batch.coverage.dataSync() as Float32Array;
    const per = h * w * k;
    return batch.targets.slice(0, b).map((t, i) =>
      t.boxes.map((box) => {
        const shares = classAreaShares(data.subarray(i * per, (i + 1) * per), h, w, k, box);
        return softmaxRow(
          shares.map((a) => this.scale * a),
          this.temperature,
        );
      }),
    );
  }
}
