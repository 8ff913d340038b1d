// ssd-lite: the small backbone with SSD heads on its three levels (strides
// 8/16/32), mirror-symmetric anchors, softmax over classes with background at
// index 0, MultiBox loss (IoU 0.5 + best anchor per ground truth, hard
// negatives 3:1, smooth-L1 on offsets encoded with variances 0.1/0.2, both
// terms divided by the number of positives) — CSD's SSD (METHODS.md §1a, §1e).

import type { Scalar, Tensor1D, Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import { conv2d } from "../nn/conv.js";
import { ParamStore } from "../nn/params.js";
import type { Rng } from "../nn/rng.js";
import { tf } from "../tf.js";
import { type AnchorSet, downsampled, makeAnchors, ssdShapes } from "./anchors.js";
import {
  type BackboneConfig,
  backbone,
  backboneChannels,
  createBackbone,
  levelStrides,
  normalise,
} from "./backbone.js";
import { BoxCoder } from "./boxes.js";
import { decodeDense } from "./decode.js";
import type {
  AnchorTargets,
  DecodeOptions,
  Detector,
  DetectorOutputs,
  ImageTargets,
  LevelOutputs,
  RawDetection,
} from "./detector.js";
import { foregroundMask, hardNegativeMask, smoothL1Loss } from "./losses.js";
import { type MatcherOptions, SSD_MATCHER } from "./matcher.js";
import { assignAnchorTargets } from "./targets.js";

export interface SsdLiteConfig {
  numClasses: number;
  imageSize: number;
  backbone: BackboneConfig;
  /** Anchor sizes as fractions of the image side: s_min..s_max spread over the levels (SSD). */
  minSize: number;
  maxSize: number;
  /** Aspect ratios w/h, closed under r → 1/r (1 gives the two squares). */
  ratios: number[];
  /** Size multipliers applied to every shape. */
  scales: number[];
  /** SSD variances (centre, size). */
  variances: [number, number];
  negPosRatio: number;
  matcher: MatcherOptions;
}

export const SSD_LITE_DEFAULTS: Omit<SsdLiteConfig, "numClasses" | "imageSize"> = {
  backbone: { width: 16, levels: 3 },
  // SSD300 on VOC: min sizes 30…264 of 300 (METHODS.md §1a).
  minSize: 0.1,
  maxSize: 0.9,
  ratios: [1, 2, 0.5],
  scales: [1],
  variances: [0.1, 0.2],
  negPosRatio: 3,
  matcher: SSD_MATCHER,
};

export class SsdLite implements Detector {
  readonly arch = "ssd-lite";
  readonly scoreKind = "softmax" as const;
  readonly anchors: AnchorSet;
  readonly coder: BoxCoder;
  readonly numClasses: number;
  readonly imageSize: number;
  private readonly perCell: number;

  constructor(readonly cfg: SsdLiteConfig) {
    this.numClasses = cfg.numClasses;
    this.imageSize = cfg.imageSize;
    this.coder = BoxCoder.fromVariances(cfg.variances[0], cfg.variances[1]);
    const m = cfg.backbone.levels;
    const step = m > 1 ? (cfg.maxSize - cfg.minSize) / (m - 1) : cfg.maxSize - cfg.minSize;
    const sizes = Array.from({ length: m + 1 }, (_, k) => (cfg.minSize + step * k) * cfg.imageSize);
    const levels = levelStrides(m).map((stride, k) => ({
      stride,
      height: downsampled(cfg.imageSize, stride),
      width: downsampled(cfg.imageSize, stride),
      shapes: ssdShapes(sizes[k]!, sizes[k + 1]!, cfg.ratios, cfg.scales),
    }));
    this.perCell = levels[0]!.shapes.length;
    this.anchors = makeAnchors(cfg.imageSize, cfg.imageSize, levels);
  }

  get config(): Record<string, unknown> {
    return { arch: this.arch, ...this.cfg };
  }

  createParams(rng: Rng): ParamStore {
    const c = this.cfg;
    const p = new ParamStore(rng);
    createBackbone(p, "backbone", c.backbone);
    backboneChannels(c.backbone).forEach((ch, i) => {
      // Xavier-like scale for the heads (CSD: xavier init for extras and heads).
      // conf (A·(C+1) channels) and loc (A·4) read the same map: one conv, split after
      // (one im2col and one GEMM in the backward pass instead of two).
      p.convKernel(`head${i}.w`, 3, 3, ch, this.perCell * (c.numClasses + 5), 1);
      p.constant(`head${i}.b`, [this.perCell * (c.numClasses + 5)], 0);
    });
    return p;
  }

  forward(params: ParamStore, images: Tensor4D): DetectorOutputs {
    const w = (n: string) => params.get(n) as Tensor4D;
    const b = (n: string) => params.get(n) as Tensor1D;
    const feats = backbone(params, "backbone", this.cfg.backbone, normalise(images));
    const confChannels = this.perCell * (this.numClasses + 1);
    const levels: LevelOutputs[] = feats.map((x, i) => {
      const [cls, box] = tf.split(
        conv2d(x, w(`head${i}.w`), b(`head${i}.b`)),
        [confChannels, this.perCell * 4],
        3,
      ) as [Tensor4D, Tensor4D];
      return { cls, box, clsFeat: x };
    });
    const bs = images.shape[0];
    const k = this.numClasses + 1;
    const cls = tf.concat(
      levels.map((l) => tf.reshape(l.cls, [bs, -1, k])),
      1,
    ) as Tensor3D;
    const box = tf.concat(
      levels.map((l) => tf.reshape(l.box, [bs, -1, 4])),
      1,
    ) as Tensor3D;
    return { levels, cls, box };
  }

  assignTargets(targets: ImageTargets[]): AnchorTargets {
    return assignAnchorTargets(this.anchors, this.coder, this.cfg.matcher, targets);
  }

  loss(outputs: DetectorOutputs, t: AnchorTargets): Record<string, Scalar> {
    return tf.tidy(() => {
      const n = t.batch * t.anchors;
      const k = this.numClasses + 1;
      const norm = Math.max(1, t.numForeground);
      const logits = tf.reshape(outputs.cls, [n, k]) as Tensor2D;
      const logp = tf.logSoftmax(logits);
      // Softmax targets: class c → index c + 1, background (and ignore) → 0.
      const onehot = new Float32Array(n * k);
      for (let i = 0; i < n; i++) onehot[i * k + Math.max(0, t.labels[i]! + 1)] = 1;
      const ce = tf.neg(tf.sum(tf.mul(logp, tf.tensor2d(onehot, [n, k])), 1));
      // Mining ranks negatives by their (detached) background cross-entropy.
      const ceValues = ce.dataSync() as Float32Array;
      const selected = hardNegativeMask(ceValues, t.labels, t.batch, t.anchors, this.cfg.negPosRatio);
      const lossCls = tf.div(tf.sum(tf.mul(ce, tf.tensor1d(selected))), norm);
      const box = tf.reshape(outputs.box, [n, 4]);
      const target = tf.tensor2d(t.deltas, [n, 4]);
      const lossBox = tf.div(smoothL1Loss(box, target, foregroundMask(t.labels), 1), norm);
      return { loss_cls: lossCls as Scalar, loss_box: lossBox as Scalar };
    });
  }

  decode(outputs: DetectorOutputs, options: DecodeOptions = {}): RawDetection[][] {
    const probs = tf.tidy(() => tf.softmax(outputs.cls));
    const p = probs.dataSync() as Float32Array;
    probs.dispose();
    const d = outputs.box.dataSync() as Float32Array;
    // CSD's Detect: conf > 0.01, NMS 0.45, top 200 (METHODS.md §1a).
    return decodeDense(p, d, outputs.cls.shape[0], this.anchors, this.coder, {
      numScores: this.numClasses + 1,
      classOffset: 1,
      scoreThreshold: options.scoreThreshold ?? 0.01,
      topKPerLevel: options.topKPerLevel ?? 1000,
      nmsIou: options.nmsIou ?? 0.45,
      maxDetections: options.maxDetections ?? 200,
    });
  }
}
