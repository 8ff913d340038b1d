// Inference over a sample source: batches of un-augmented images through the
// detector, decoded, in COCO results format (original-image pixels).

import type { DecodeOptions, Detector, RawDetection } from "./detect/detector.js";
import type { ParamStore } from "./nn/params.js";
import { type CocoResult, toCocoResults } from "./predictions.js";
import { type DetectionSample, loadImages, type SampleSource } from "./samples.js";
import { tf } from "./tf.js";

export interface PredictOptions extends DecodeOptions {
  batchSize?: number;
  /** Dataset category id per class index. */
  categoryIds: number[];
}

export async function predictDetections(
  detector: Detector,
  params: ParamStore,
  source: SampleSource<Omit<DetectionSample, "boxes" | "classes">>,
  options: PredictOptions,
): Promise<CocoResult[]> {
  const bs = options.batchSize ?? 16;
  const out: CocoResult[] = [];
  for (let start = 0; start < source.size; start += bs) {
    const indices = Array.from({ length: Math.min(bs, source.size - start) }, (_, i) => start + i);
    const { images, samples } = await loadImages(source, indices, detector.imageSize);
    let dets: RawDetection[][] = [];
    tf.tidy(() => {
      dets = detector.decode(detector.forward(params, images), options);
    });
    images.dispose();
    out.push(...toCocoResults(dets, samples, detector.imageSize, options.categoryIds));
  }
  return out;
}
