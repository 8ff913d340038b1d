// retinanet-lite: the small backbone, a 3-level FPN (strides 8/16/32), shared
// classification and box towers, sigmoid focal loss (α 0.25, γ 2), IoU
// 0.4/0.5 matcher with low-quality matches, smooth-L1/L1 box loss
// (METHODS.md §2a, §2e, §3e), and an optional class-embedding classifier
// logits = scale·cos(proj(h), t_c) + b_c (RichSem, §4a, §4e).

import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import { conv2d } from "../nn/conv.js";
import { ParamStore } from "../nn/params.js";
import type { Rng } from "../nn/rng.js";
import { tf } from "../tf.js";
import { type AnchorSet, downsampled, makeAnchors, retinaShapes } from "./anchors.js";
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
import { foregroundMask, sigmoidFocalLoss, sigmoidTargets, smoothL1Loss } from "./losses.js";
import { type MatcherOptions, RETINANET_MATCHER } from "./matcher.js";
import { assignAnchorTargets } from "./targets.js";

export interface EmbeddingClassifier {
  /** Dimension of proj(h) and of the class embeddings t_c. */
  dim: number;
  /** The fixed scale (RichSem: CLIP's logit scale, 100). */
  scale: number;
  /** Fixed class embeddings [numClasses][dim]; default: seeded random unit vectors. */
  embeddings?: number[][];
}

export interface RetinaNetLiteConfig {
  numClasses: number;
  imageSize: number;
  backbone: BackboneConfig;
  fpnChannels: number;
  headConvs: number;
  /**
   * Anchor base size as a multiple of the level's stride. RetinaNet uses 4 on
   * 800 px images; 2 keeps the smallest objects of 64–128 px images matchable.
   */
  anchorBase: number;
  /** Size multipliers within an octave (RetinaNet: 2^0, 2^(1/3), 2^(2/3)). */
  anchorScales: number[];
  /** Aspect ratios h/w. */
  ratios: number[];
  focalAlpha: number;
  focalGamma: number;
  /** Smooth-L1 transition; 0 gives L1 (Co-mining: 0.1). */
  boxBeta: number;
  /** Initial foreground probability of the classifier bias (RetinaNet: 0.01). */
  priorProb: number;
  matcher: MatcherOptions;
  embedding?: EmbeddingClassifier;
}

export const RETINANET_LITE_DEFAULTS: Omit<RetinaNetLiteConfig, "numClasses" | "imageSize"> = {
  backbone: { width: 16, levels: 3 },
  fpnChannels: 64,
  headConvs: 2,
  anchorBase: 2,
  anchorScales: [1, 1.26, 1.587],
  ratios: [0.5, 1, 2],
  focalAlpha: 0.25,
  focalGamma: 2,
  boxBeta: 0.1,
  priorProb: 0.01,
  matcher: RETINANET_MATCHER,
};

export class RetinaNetLite implements Detector {
  readonly arch = "retinanet-lite";
  readonly scoreKind = "sigmoid" as const;
  readonly anchors: AnchorSet;
  readonly coder = new BoxCoder([1, 1, 1, 1]);
  readonly numClasses: number;
  readonly imageSize: number;
  private readonly perCell: number;

  constructor(readonly cfg: RetinaNetLiteConfig) {
    this.numClasses = cfg.numClasses;
    this.imageSize = cfg.imageSize;
    if (cfg.backbone.levels < 3) throw new Error("retinanet-lite needs at least 3 pyramid levels");
    const shapes = (stride: number) => retinaShapes(cfg.anchorBase * stride, cfg.anchorScales, cfg.ratios);
    this.perCell = cfg.anchorScales.length * cfg.ratios.length;
    this.anchors = makeAnchors(
      cfg.imageSize,
      cfg.imageSize,
      levelStrides(cfg.backbone.levels).map((stride) => ({
        stride,
        height: downsampled(cfg.imageSize, stride),
        width: downsampled(cfg.imageSize, stride),
        shapes: shapes(stride),
      })),
    );
  }

  get config(): Record<string, unknown> {
    return { arch: this.arch, ...this.cfg };
  }

  createParams(rng: Rng): ParamStore {
    const c = this.cfg;
    const p = new ParamStore(rng);
    createBackbone(p, "backbone", c.backbone);
    const f = c.fpnChannels;
    backboneChannels(c.backbone).forEach((ch, i) => {
      p.convKernel(`fpn.lat${i}.w`, 1, 1, ch, f, 1);
      p.constant(`fpn.lat${i}.b`, [f], 0);
      p.convKernel(`fpn.out${i}.w`, 3, 3, f, f, 1);
      p.constant(`fpn.out${i}.b`, [f], 0);
    });
    if (c.headConvs > 0) {
      // The first conv of both towers reads the same map: one conv with 2F outputs, split after.
      p.convKernel("head.tower0.w", 3, 3, f, 2 * f);
      p.constant("head.tower0.b", [2 * f], 0);
    }
    for (const branch of ["cls", "box"]) {
      for (let i = 1; i < c.headConvs; i++) {
        p.convKernel(`head.${branch}.${i}.w`, 3, 3, f, f);
        p.constant(`head.${branch}.${i}.b`, [f], 0);
      }
    }
    const prior = -Math.log((1 - c.priorProb) / c.priorProb);
    // Small final layers (std 0.01 in RetinaNet) so the prior dominates at the start.
    const small = 0.01 * Math.sqrt(9 * f);
    if (c.embedding) {
      const d = c.embedding.dim;
      // Not small here: the logits see proj(h) only through its direction, whose gradient
      // scales with 1/|proj(h)|, so a tiny projection makes every early step a jump. The
      // start is set by the bias (the prior) and by cos(·) of an unfitted projection.
      p.convKernel("head.cls.out.w", 3, 3, f, this.perCell * d, 1);
      p.constant("head.cls.out.b", [this.perCell * d], 0);
      p.fixed("head.cls.embed", [c.numClasses, d], this.classEmbeddings(rng));
      p.constant("head.cls.embed_bias", [c.numClasses], prior);
    } else {
      p.convKernel("head.cls.out.w", 3, 3, f, this.perCell * c.numClasses, small);
      p.constant("head.cls.out.b", [this.perCell * c.numClasses], prior);
    }
    p.convKernel("head.box.out.w", 3, 3, f, this.perCell * 4, small);
    p.constant("head.box.out.b", [this.perCell * 4], 0);
    return p;
  }

  private classEmbeddings(rng: Rng): Float32Array {
    const { numClasses } = this.cfg;
    const { dim, embeddings } = this.cfg.embedding!;
    const out = new Float32Array(numClasses * dim);
    if (embeddings) {
      if (embeddings.length !== numClasses || embeddings.some((e) => e.length !== dim)) {
        throw new Error(`embedding classifier: expected ${numClasses} class embeddings of dimension ${dim}`);
      }
      embeddings.forEach((e, c) => {
        out.set(e, c * dim);
      });
      return out;
    }
    for (let i = 0; i < out.length; i++) out[i] = rng.normal();
    return out;
  }

  forward(params: ParamStore, images: Tensor4D): DetectorOutputs {
    const c = this.cfg;
    const w = (n: string) => params.get(n) as Tensor4D;
    const b = (n: string) => params.get(n) as Tensor1D;
    const feats = backbone(params, "backbone", c.backbone, normalise(images));
    const lat = feats.map((x, i) => conv2d(x, w(`fpn.lat${i}.w`), b(`fpn.lat${i}.b`), { pad: "valid" }));
    // Top-down: P5 = L5, P4 = L4 + up(P5), P3 = L3 + up(P4) (before the 3×3 output convs).
    const merged: Tensor4D[] = new Array(lat.length);
    merged[lat.length - 1] = lat[lat.length - 1]!;
    for (let i = lat.length - 2; i >= 0; i--) {
      const [h, wd] = [lat[i]!.shape[1], lat[i]!.shape[2]];
      merged[i] = tf.add(lat[i]!, tf.image.resizeNearestNeighbor(merged[i + 1]!, [h, wd])) as Tensor4D;
    }
    const pyramid = merged.map((x, i) => conv2d(x, w(`fpn.out${i}.w`), b(`fpn.out${i}.b`)));
    const levels: LevelOutputs[] = pyramid.map((x) => {
      let hc = x;
      let hb = x;
      if (c.headConvs > 0) {
        const both = conv2d(x, w("head.tower0.w"), b("head.tower0.b"), { activation: "relu" });
        [hc, hb] = tf.split(both, 2, 3) as [Tensor4D, Tensor4D];
      }
      for (let i = 1; i < c.headConvs; i++) {
        hc = conv2d(hc, w(`head.cls.${i}.w`), b(`head.cls.${i}.b`), { activation: "relu" });
        hb = conv2d(hb, w(`head.box.${i}.w`), b(`head.box.${i}.b`), { activation: "relu" });
      }
      const raw = conv2d(hc, w("head.cls.out.w"), b("head.cls.out.b"));
      const cls = c.embedding ? this.embeddingLogits(params, raw) : raw;
      const box = conv2d(hb, w("head.box.out.w"), b("head.box.out.b"));
      return { cls, box, clsFeat: hc };
    });
    return { levels, ...this.flatten(levels) };
  }

  /** scale·cos(proj(h), t_c) + b_c for every anchor: raw holds proj(h) as A·D channels. */
  private embeddingLogits(params: ParamStore, raw: Tensor4D): Tensor4D {
    const { dim, scale } = this.cfg.embedding!;
    const [bs, h, wd] = raw.shape;
    const k = this.numClasses;
    const v = tf.reshape(raw, [-1, dim]) as Tensor2D;
    const vn = tf.div(v, tf.sqrt(tf.add(tf.sum(tf.square(v), 1, true), 1e-12)));
    const t = params.get("head.cls.embed") as Tensor2D;
    const tn = tf.div(t, tf.sqrt(tf.add(tf.sum(tf.square(t), 1, true), 1e-12)));
    const logits = tf.add(tf.mul(tf.matMul(vn, tn, false, true), scale), params.get("head.cls.embed_bias"));
    return tf.reshape(logits, [bs, h, wd, this.perCell * k]) as Tensor4D;
  }

  private flatten(levels: LevelOutputs[]): { cls: Tensor3D; box: Tensor3D } {
    const bs = levels[0]!.cls.shape[0];
    const cls = tf.concat(
      levels.map((l) => tf.reshape(l.cls, [bs, -1, this.numClasses])),
      1,
    ) as Tensor3D;
    const box = tf.concat(
      levels.map((l) => tf.reshape(l.box, [bs, -1, 4])),
      1,
    ) as Tensor3D;
    return { cls, box };
  }

  assignTargets(targets: ImageTargets[]): AnchorTargets {
    return assignAnchorTargets(this.anchors, this.coder, this.cfg.matcher, targets);
  }

  loss(outputs: DetectorOutputs, t: AnchorTargets): Record<string, Scalar> {
    return tf.tidy(() => {
      const n = t.batch * t.anchors;
      const norm = Math.max(1, t.numForeground);
      const { onehot, valid } = sigmoidTargets(t.labels, this.numClasses);
      const cls = tf.reshape(outputs.cls, [n, this.numClasses]);
      const lossCls = tf.div(
        sigmoidFocalLoss(cls, onehot, valid, this.cfg.focalAlpha, this.cfg.focalGamma),
        norm,
      );
      const box = tf.reshape(outputs.box, [n, 4]);
      const target = tf.tensor2d(t.deltas, [n, 4]);
      const lossBox = tf.div(smoothL1Loss(box, target, foregroundMask(t.labels), this.cfg.boxBeta), norm);
      return { loss_cls: lossCls as Scalar, loss_box: lossBox as Scalar };
    });
  }

  decode(outputs: DetectorOutputs, options: DecodeOptions = {}): RawDetection[][] {
    const probs = tf.tidy(() => tf.sigmoid(outputs.cls));
    const p = probs.dataSync() as Float32Array;
    probs.dispose();
    const d = outputs.box.dataSync() as Float32Array;
    return decodeDense(p, d, outputs.cls.shape[0], this.anchors, this.coder, {
      numScores: this.numClasses,
      classOffset: 0,
      scoreThreshold: options.scoreThreshold ?? 0.05,
      topKPerLevel: options.topKPerLevel ?? 1000,
      nmsIou: options.nmsIou ?? 0.5,
      maxDetections: options.maxDetections ?? 100,
    });
  }
}

export type { Tensor };
