// Acquisition scores of an unlabelled pool from a trained detector
// (METHODS.md §1a, AL-SSL `active_learning.py`): each image goes through the
// detector and its left–right flip; detections are decoded as the code does
// (per class conf > 0.01, NMS 0.5, top 200) and kept at score ≥ 0.5; every
// kept detection's prior gives
//   entropy      H = −Σ_c p_c log p_c / log C   (C = the prior's score channels)
//   consistency  (KL(p‖p′) + KL(p′‖p)) / 2      (p′: the flipped pass, flipped back to the same prior)
// and the image's score is the max over its kept detections, 0 when none.
// Softmax detectors (ssd-lite, as SSD) use the prior's distribution over
// background + classes. Sigmoid detectors (retinanet-lite) have no such
// distribution: each class is a Bernoulli, and the prior's score is the mean
// over classes of the Bernoulli entropy (/ log 2) and of the symmetric KL/2 —
// an extension of the code's formula, recorded in provenance.

import type { Detector } from "../detect/detector.js";
import { flipBack, mirrorImages } from "../methods/shared/head-transforms.js";
import type { UnlabelledSample } from "../methods/types.js";
import type { ParamStore } from "../nn/params.js";
import { loadImages, type SampleSource } from "../samples.js";
import { tf } from "../tf.js";

/** AL-SSL's decoding for acquisition and its threshold on kept detections. */
export const ACQUISITION_DECODE = { scoreThreshold: 0.01, nmsIou: 0.5, maxDetections: 200 } as const;
export const KEEP_SCORE = 0.5;
/** AL-SSL adds 1e-7 to probabilities before the logs of its consistency (train.py / active_learning.py). */
const EPS = 1e-7;

export interface PoolScore {
  image_id: number | string;
  entropy: number;
  consistency: number;
  /** Detections kept at score ≥ 0.5 (the max runs over these). */
  detections: number;
}

/** Normalised entropy of one distribution (softmax) or mean Bernoulli entropy (sigmoid). */
export function priorEntropy(p: ArrayLike<number>, kind: "softmax" | "sigmoid"): number {
  const n = p.length;
  let h = 0;
  if (kind === "softmax") {
    for (let c = 0; c < n; c++) {
      const v = p[c]!;
      if (v > 0) h -= v * Math.log(v);
    }
    return h / Math.log(n);
  }
  for (let c = 0; c < n; c++) {
    const v = p[c]!;
    if (v > 0) h -= v * Math.log(v);
    if (v < 1) h -= (1 - v) * Math.log(1 - v);
  }
  return h / Math.log(2) / n;
}

/** Symmetric KL / 2 between the two passes' distributions of one prior. */
export function priorInconsistency(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  kind: "softmax" | "sigmoid",
): number {
  const n = p.length;
  const kl = (a: number, b: number) => (a + EPS) * (Math.log(a + EPS) - Math.log(b + EPS));
  let s = 0;
  for (let c = 0; c < n; c++) {
    const a = p[c]!;
    const b = q[c]!;
    s += kl(a, b) + kl(b, a);
    if (kind === "sigmoid") s += kl(1 - a, 1 - b) + kl(1 - b, 1 - a);
  }
  return kind === "sigmoid" ? s / 2 / n : s / 2;
}

/**
 * One image's scores from its priors' probabilities ([P·K], row per prior) in
 * both passes and the priors of its kept detections.
 */
export function imageScore(
  probs: Float32Array,
  flipped: Float32Array,
  channels: number,
  anchors: readonly number[],
  kind: "softmax" | "sigmoid",
): { entropy: number; consistency: number } {
  let entropy = 0;
  let consistency = 0;
  for (const a of anchors) {
    const p = probs.subarray(a * channels, (a + 1) * channels);
    const q = flipped.subarray(a * channels, (a + 1) * channels);
    entropy = Math.max(entropy, priorEntropy(p, kind));
    consistency = Math.max(consistency, priorInconsistency(p, q, kind));
  }
  return { entropy, consistency };
}

/** Scores every image of the pool with the detector's parameters (batches of `batchSize`). */
export async function scorePool(
  detector: Detector,
  params: ParamStore,
  pool: SampleSource<UnlabelledSample>,
  options: { batchSize?: number } = {},
): Promise<PoolScore[]> {
  const bs = options.batchSize ?? 16;
  const out: PoolScore[] = [];
  const kind = detector.scoreKind;
  const channels = kind === "softmax" ? detector.numClasses + 1 : detector.numClasses;
  const perImage = detector.anchors.count * channels;
  for (let start = 0; start < pool.size; start += bs) {
    const indices = Array.from({ length: Math.min(bs, pool.size - start) }, (_, i) => start + i);
    const { images, samples } = await loadImages(pool, indices, detector.imageSize);
    let probs: Float32Array = new Float32Array(0);
    let flipped: Float32Array = new Float32Array(0);
    let kept: number[][] = [];
    tf.tidy(() => {
      const plain = detector.forward(params, images);
      const dets = detector.decode(plain, ACQUISITION_DECODE);
      kept = dets.map((d) => d.filter((x) => x.score >= KEEP_SCORE).map((x) => x.anchor!));
      const back = flipBack(detector.forward(params, mirrorImages(images)), detector);
      const act = (t: tf.Tensor) => (kind === "softmax" ? tf.softmax(t) : tf.sigmoid(t));
      probs = act(plain.cls).dataSync() as Float32Array;
      flipped = act(back.cls).dataSync() as Float32Array;
    });
    images.dispose();
    samples.forEach((s, b) => {
      const view = (x: Float32Array) => x.subarray(b * perImage, (b + 1) * perImage);
      const score = imageScore(view(probs), view(flipped), channels, kept[b]!, kind);
      out.push({ image_id: s.imageId, ...score, detections: kept[b]!.length });
    });
  }
  return out;
}
