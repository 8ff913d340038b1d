// What every dense (anchor-based, one-stage) detector in the engine offers:
// parameters, a forward pass to per-anchor outputs, target assignment,
// a supervised loss, and decoding to boxes. The training loop and the
// methods (CSD, Co-mining, SED, RichSem) talk to detectors through this.

import type { Scalar, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import type { ParamStore } from "../nn/params.js";
import type { Rng } from "../nn/rng.js";
import type { AnchorSet } from "./anchors.js";
import type { Box, BoxCoder } from "./boxes.js";

export interface LevelOutputs {
  /** Class logits [B, H, W, A·K]. */
  cls: Tensor4D;
  /** Box deltas [B, H, W, A·4]. */
  box: Tensor4D;
  /** The classification branch's last hidden features [B, H, W, F], for heads methods attach. */
  clsFeat: Tensor4D;
}

export interface DetectorOutputs {
  levels: LevelOutputs[];
  /** Flattened over levels in anchor order: logits [B, P, K] and deltas [B, P, 4]. */
  cls: Tensor3D;
  box: Tensor3D;
}

/** Ground truth of one image, in input pixels (after resizing and augmentation). */
export interface ImageTargets {
  boxes: Box[];
  /** Class index per box, 0..numClasses−1. */
  classes: number[];
}

/** Per-anchor training targets for a batch (plain arrays; the loss makes tensors of them). */
export interface AnchorTargets {
  batch: number;
  anchors: number;
  /** Per anchor: class index (foreground), BACKGROUND or IGNORE, [B·P]. */
  labels: Int32Array;
  /** Encoded box targets for foreground anchors, [B·P·4] (0 elsewhere). */
  deltas: Float32Array;
  /** Index of the ground-truth box each foreground anchor is matched to (−1 otherwise), [B·P]. */
  matched: Int32Array;
  numForeground: number;
}

export interface RawDetection {
  /** xyxy in input pixels. */
  box: Box;
  score: number;
  /** Class index 0..numClasses−1. */
  label: number;
  /** The anchor (prior) it was decoded from: active learning scores that prior's class distribution. */
  anchor?: number;
}

export interface DecodeOptions {
  scoreThreshold?: number;
  /** Candidates kept per pyramid level before NMS. */
  topKPerLevel?: number;
  nmsIou?: number;
  maxDetections?: number;
}

export interface Detector {
  readonly arch: string;
  readonly numClasses: number;
  /** Input side length (images are square S×S). */
  readonly imageSize: number;
  /** Logits per anchor: numClasses + 1 with background at 0 (softmax), or numClasses (sigmoid). */
  readonly scoreKind: "softmax" | "sigmoid";
  readonly anchors: AnchorSet;
  readonly coder: BoxCoder;
  /** Plain-data description of the configuration (for run provenance). */
  readonly config: Record<string, unknown>;
  createParams(rng: Rng): ParamStore;
  /** images: [B, S, S, 3] in [0, 1]. */
  forward(params: ParamStore, images: Tensor4D): DetectorOutputs;
  assignTargets(targets: ImageTargets[]): AnchorTargets;
  /** The detector's own supervised loss terms (summed by the trainer). */
  loss(outputs: DetectorOutputs, targets: AnchorTargets): Record<string, Scalar>;
  decode(outputs: DetectorOutputs, options?: DecodeOptions): RawDetection[][];
}
