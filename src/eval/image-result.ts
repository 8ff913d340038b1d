// Inspection of the evaluate() stage: the per image × category record that
// pycocotools keeps in COCOeval.evalImgs (dtIds, gtIds, dtMatches, gtMatches,
// dtIgnore, gtIgnore), rebuilt from labelsweep's compact matching. Needs an
// evaluation run with { keepMatches: true }.

import type { CocoEvaluation } from "./coco-eval.js";
import { IGNORED, outcomeAt } from "./greedy-match.js";
import type { GroundTruth, Id } from "./types.js";

export interface ImageResult {
  imageId: Id;
  categoryId: Id;
  areaRng: readonly [number, number];
  /** Detection rows (index in the detections as given), highest score first. pycocotools: dtIds = row + 1. */
  detections: number[];
  scores: number[];
  /** Ground-truth annotation rows, ignored ones last (pycocotools: gtIds, as annotation ids). */
  groundTruth: number[];
  gtIgnore: boolean[];
  /** dtMatches[t][d]: the ground-truth row detection d matched at IoU threshold t, or -1. */
  dtMatches: number[][];
  dtIgnore: boolean[][];
  /** gtMatches[t][g]: the detection row that matched ground truth g, or -1. */
  gtMatches: number[][];
}

/**
 * The evaluate() record of one image, category and area range (index into
 * params.areaRng), or null where pycocotools has None (neither detections nor
 * ground truth). `ignoreField` says which ground-truth flag means "ignored":
 * iscrowd for COCO, ignore for LVIS.
 */
export function imageResult(
  ev: Pick<CocoEvaluation, "matching" | "order">,
  gt: GroundTruth,
  imageId: Id,
  categoryId: Id,
  area: number,
  ignoreField: "iscrowd" | "ignore" = "iscrowd",
): ImageResult | null {
  const m = ev.matching;
  if (m.matched === null) throw new Error("imageResult needs an evaluation run with { keepMatches: true }");
  const imgIdx = gt.imageIndex.get(imageId);
  const catIdx = gt.categoryIndex.get(categoryId);
  if (imgIdx === undefined || catIdx === undefined) throw new Error("unknown image or category id");
  const img = ev.order.imageRank[imgIdx]!;
  const k = ev.order.categoryRank[catIdx]!;
  const T = m.iouThrs.length;
  const N = m.detection.length;
  const [lo, hi] = m.areaRng[area]!;
  const positions: number[] = [];
  for (let p = m.categoryStart[k]!; p < m.categoryStart[k + 1]!; p++)
    if (m.image[p] === img) positions.push(p);
  const a = gt.annotations;
  const rows: number[] = [];
  for (let i = 0; i < a.length; i++) if (a.image[i] === imgIdx && a.category[i] === catIdx) rows.push(i);
  if (positions.length === 0 && rows.length === 0) return null;
  const flag = a[ignoreField];
  const ignored = (r: number) => flag[r] === 1 || a.area[r]! < lo || a.area[r]! > hi;
  const groundTruth = [...rows.filter((r) => !ignored(r)), ...rows.filter(ignored)];
  const dtMatches: number[][] = [];
  const dtIgnore: boolean[][] = [];
  const gtMatches: number[][] = [];
  for (let t = 0; t < T; t++) {
    const base = (area * T + t) * N;
    const dm = positions.map((p) => m.matched![base + p]!);
    dtMatches.push(dm);
    dtIgnore.push(positions.map((p) => outcomeAt(m, p, area, t) === IGNORED));
    gtMatches.push(
      groundTruth.map((g) => {
        // A crowd region keeps the last detection that matched it, as pycocotools' gtm does.
        const d = dm.lastIndexOf(g);
        return d < 0 ? -1 : m.detection[positions[d]!]!;
      }),
    );
  }
  return {
    imageId,
    categoryId,
    areaRng: m.areaRng[area]!,
    detections: positions.map((p) => m.detection[p]!),
    scores: positions.map((p) => m.score[p]!),
    groundTruth,
    gtIgnore: groundTruth.map(ignored),
    dtMatches,
    dtIgnore,
    gtMatches,
  };
}
