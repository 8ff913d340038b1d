// The pseudo-box generator, written once for Co-mining (each branch's boxes
// supervise the other, METHODS.md §2a), mean-teacher and pseudo-label (hard
// pseudo-labels above a threshold) and AL-SSL's auto-labelling (§1a): a
// detector's outputs decoded exactly as at inference — score threshold
// (strictly above, as cvpods' `pseudo_gt_generate`), top-k per pyramid level,
// class-wise NMS, at most N boxes — read from the outputs' values, so no
// gradient ever flows through a pseudo-box.

import type { AnchorTargets, Detector, DetectorOutputs, ImageTargets } from "../../detect/detector.js";

export interface PseudoBoxOptions {
  /** Keep predictions with score > this. */
  scoreThreshold: number;
  /** Class-wise NMS IoU (Co-mining and RetinaNet inference: 0.5). */
  nmsIou: number;
  /** At most this many boxes per image (cvpods DETECTIONS_PER_IMAGE: 100). */
  maxDetections: number;
  /** Candidates per pyramid level before NMS (TOPK_CANDIDATES_TEST: 1000). */
  topKPerLevel?: number;
}

/** Hard targets with the confidence each box had (methods may weight or count them). */
export interface PseudoTargets extends ImageTargets {
  scores: number[];
}

export function pseudoBoxes(
  detector: Detector,
  outputs: DetectorOutputs,
  options: PseudoBoxOptions,
): PseudoTargets[] {
  return detector
    .decode(outputs, {
      scoreThreshold: options.scoreThreshold,
      nmsIou: options.nmsIou,
      maxDetections: options.maxDetections,
      topKPerLevel: options.topKPerLevel ?? 1000,
    })
    .map((dets) => ({
      boxes: dets.map((d) => d.box),
      classes: dets.map((d) => d.label),
      scores: dets.map((d) => d.score),
    }));
}

/**
 * Pseudo-boxes turned into the detector's own anchor targets, so a method can
 * train on them with the detector's supervised loss (hard pseudo-labels:
 * mean-teacher, pseudo-label, SED's `targets: hard`).
 */
export function pseudoAnchorTargets(
  detector: Detector,
  outputs: DetectorOutputs,
  options: PseudoBoxOptions,
): { targets: PseudoTargets[]; anchorTargets: AnchorTargets; boxes: number } {
  const targets = pseudoBoxes(detector, outputs, options);
  return {
    targets,
    anchorTargets: detector.assignTargets(targets),
    boxes: targets.reduce((n, t) => n + t.boxes.length, 0),
  };
}

/** Class-wise NMS IoU of a detector's own inference: SSD/CSD Detect 0.45, RetinaNet 0.5. */
export function pseudoNmsIou(detector: Pick<Detector, "scoreKind">): number {
  return detector.scoreKind === "softmax" ? 0.45 : 0.5;
}
