// Detections in COCO results format ({image_id, category_id, bbox, score}),
// in the original image's pixels, ready for any COCO evaluator.

import type { RawDetection } from "./detect/detector.js";
import type { ImageMeta } from "./samples.js";

export interface CocoResult {
  image_id: number | string;
  category_id: number;
  /** [x, y, w, h] in original-image pixels. */
  bbox: [number, number, number, number];
  score: number;
}

const round = (v: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/**
 * detections[i] belong to metas[i] and are in input pixels of an S×S input;
 * categoryIds maps the engine's class index to the dataset's category id.
 */
export function toCocoResults(
  detections: RawDetection[][],
  metas: ImageMeta[],
  inputSize: number,
  categoryIds: number[],
): CocoResult[] {
  const out: CocoResult[] = [];
  detections.forEach((dets, i) => {
    const meta = metas[i]!;
    const sx = meta.width / inputSize;
    const sy = meta.height / inputSize;
    for (const d of dets) {
      const categoryId = categoryIds[d.label];
      if (categoryId === undefined)
        throw new Error(`detection of class index ${d.label}: no category id for it`);
      const x1 = d.box[0] * sx;
      const y1 = d.box[1] * sy;
      out.push({
        image_id: meta.imageId,
        category_id: categoryId,
        bbox: [round(x1, 2), round(y1, 2), round(d.box[2] * sx - x1, 2), round(d.box[3] * sy - y1, 2)],
        score: round(d.score, 5),
      });
    }
  });
  return out;
}
