// AL-SSL's auto-labelling (METHODS.md §1a "pseudo-labels"): after a cycle's
// selection, the trained detector runs over the rest of the pool (SSD's
// decoding: conf 0.01, NMS 0.45, top 200) and every image with at least one
// detection at score ≥ threshold becomes pseudo-labelled for the next cycle,
// with those detections as its boxes (the paper; the code trains on the
// images' ground truth instead, METHODS.md ⚠). The next cycle learns from
// them with positive-only classification and the box loss (keepPositivesOnly).

import type { Detector } from "../detect/detector.js";
import type { UnlabelledSample } from "../methods/types.js";
import type { ParamStore } from "../nn/params.js";
import { predictDetections } from "../predict.js";
import type { SampleSource } from "../samples.js";

/** AL-SSL's decoding for auto-labelling (the SSD Detect layer's defaults). */
export const PSEUDO_DECODE = { scoreThreshold: 0.01, nmsIou: 0.45, maxDetections: 200 } as const;

/** One pool image's detections at score ≥ threshold, in the dataset's ids and original pixels. */
export interface PseudoImage {
  image_id: number | string;
  /** COCO [x, y, w, h]. */
  boxes: number[][];
  category_ids: number[];
  scores: number[];
}

/** The images of `pool` whose best detection reaches `threshold`, with every detection that does. */
export async function pseudoLabelPool(
  detector: Detector,
  params: ParamStore,
  pool: SampleSource<UnlabelledSample>,
  categoryIds: number[],
  threshold: number,
): Promise<PseudoImage[]> {
  const dets = await predictDetections(detector, params, pool, { categoryIds, ...PSEUDO_DECODE });
  const byImage = new Map<number | string, PseudoImage>();
  for (const d of dets) {
    if (d.score < threshold) continue;
    let entry = byImage.get(d.image_id);
    if (!entry) {
      entry = { image_id: d.image_id, boxes: [], category_ids: [], scores: [] };
      byImage.set(d.image_id, entry);
    }
    entry.boxes.push([...d.bbox]);
    entry.category_ids.push(d.category_id);
    entry.scores.push(d.score);
  }
  return [...byImage.values()];
}
