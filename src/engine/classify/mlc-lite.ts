// mlc-lite: a multi-label image classifier for Scob-style experiments
// (METHODS.md §5a, §5e): the small backbone's stride-16 features as a grid of
// patch tokens, a pooling block that accepts a patch mask (attention pooling
// with a learned query and key-padding mask, or masked average pooling), a
// linear classifier with sigmoid outputs, and a class-activation map (plain
// CAM: the classifier applied to every patch, §5e "GradCAM++ can become
// plain CAM").

import type { Scalar, Tensor1D, Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import { downsampled } from "../detect/anchors.js";
import {
  type BackboneConfig,
  backbone,
  backboneChannels,
  createBackbone,
  normalise,
} from "../detect/backbone.js";
import { conv2d } from "../nn/conv.js";
import { ParamStore } from "../nn/params.js";
import type { Rng } from "../nn/rng.js";
import { tf } from "../tf.js";

export interface MlcLiteConfig {
  numClasses: number;
  imageSize: number;
  backbone: BackboneConfig;
  /** Channels of the patch tokens. */
  dim: number;
  pool: "attention" | "avg";
}

export const MLC_LITE_DEFAULTS: Omit<MlcLiteConfig, "numClasses" | "imageSize"> = {
  backbone: { width: 16, levels: 2 },
  dim: 64,
  pool: "attention",
};

export interface MlcOutputs {
  /** [B, C] class logits (sigmoid for probabilities). */
  logits: Tensor2D;
  /** [B, dim] pooled image feature (what a projector or a contrastive loss reads). */
  features: Tensor2D;
  /** [B, h·w, dim] per-patch values before pooling (CAM reads these). */
  patches: Tensor3D;
}

/**
 * Where forward reads its weights by name: the model's ParamStore, or a view
 * that takes some names from elsewhere (Scob's momentum key encoder).
 */
export type ParamSource = Pick<ParamStore, "get">;

export class MlcLite {
  readonly arch = "mlc-lite";
  readonly numClasses: number;
  readonly imageSize: number;
  /** Patch grid (stride 16). */
  readonly gridHeight: number;
  readonly gridWidth: number;

  constructor(readonly cfg: MlcLiteConfig) {
    this.numClasses = cfg.numClasses;
    this.imageSize = cfg.imageSize;
    this.gridHeight = downsampled(cfg.imageSize, 16);
    this.gridWidth = downsampled(cfg.imageSize, 16);
  }

  get config(): Record<string, unknown> {
    return { arch: this.arch, ...this.cfg };
  }

  get numPatches(): number {
    return this.gridHeight * this.gridWidth;
  }

  createParams(rng: Rng): ParamStore {
    const c = this.cfg;
    const p = new ParamStore(rng);
    createBackbone(p, "backbone", c.backbone);
    const ch = backboneChannels(c.backbone)[1]!;
    p.convKernel("tokens.w", 1, 1, ch, c.dim);
    p.constant("tokens.b", [c.dim], 0);
    const pos = new Float32Array(this.numPatches * c.dim);
    for (let i = 0; i < pos.length; i++) pos[i] = 0.02 * rng.normal();
    p.fixed("pool.pos", [this.numPatches, c.dim], pos, true);
    if (c.pool === "attention") {
      p.dense("pool.key", c.dim, c.dim);
      p.dense("pool.value", c.dim, c.dim);
      p.constant("pool.query", [c.dim, 1], 0);
    }
    p.dense("cls.w", c.dim, c.numClasses);
    p.constant("cls.b", [c.numClasses], 0);
    return p;
  }

  /**
   * images [B, S, S, 3] in [0, 1]; patchMask [B, h·w] with 1 where a patch may
   * be pooled and 0 where it is masked out (Scob's key-padding mask). An image
   * whose patches are all masked is pooled over all of them.
   */
  forward(params: ParamSource, images: Tensor4D, patchMask?: Tensor2D): MlcOutputs {
    return this.head(params, this.featureMap(params, images), patchMask);
  }

  /** The backbone's stride-16 feature map [B, h, w, ch] (the layer a Grad-CAM reads). */
  featureMap(params: ParamSource, images: Tensor4D): Tensor4D {
    return backbone(params, "backbone", this.cfg.backbone, normalise(images))[1]!;
  }

  /** Everything after the feature map: patch tokens, (masked) pooling, classifier. */
  head(params: ParamSource, featureMap: Tensor4D, patchMask?: Tensor2D): MlcOutputs {
    const c = this.cfg;
    const grid = conv2d(featureMap, params.get("tokens.w") as Tensor4D, params.get("tokens.b") as Tensor1D, {
      pad: "valid",
      activation: "relu",
    });
    const bs = featureMap.shape[0];
    const tokens = tf.add(tf.reshape(grid, [bs, this.numPatches, c.dim]), params.get("pool.pos")) as Tensor3D;
    const mask = patchMask ?? (tf.ones([bs, this.numPatches]) as Tensor2D);
    let values: Tensor3D;
    let weights: Tensor2D;
    if (c.pool === "attention") {
      const flat = tf.reshape(tokens, [bs * this.numPatches, c.dim]) as Tensor2D;
      const keys = tf.matMul(flat, params.get("pool.key") as Tensor2D);
      values = tf.reshape(tf.matMul(flat, params.get("pool.value") as Tensor2D), [
        bs,
        this.numPatches,
        c.dim,
      ]) as Tensor3D;
      const scores = tf.reshape(tf.matMul(keys, params.get("pool.query") as Tensor2D), [bs, this.numPatches]);
      const scaled = tf.add(tf.div(scores, Math.sqrt(c.dim)), tf.mul(tf.sub(1, mask), -1e4));
      weights = tf.softmax(scaled) as Tensor2D;
    } else {
      values = tokens;
      const total = tf.sum(mask, 1, true);
      // All-masked rows fall back to the plain average.
      const safe = tf.where(tf.greater(total, 0), mask, tf.onesLike(mask));
      weights = tf.div(safe, tf.sum(safe, 1, true)) as Tensor2D;
    }
    const pooled = tf.squeeze(tf.matMul(tf.expandDims(weights, 1), values), [1]) as Tensor2D;
    const logits = tf.add(
      tf.matMul(pooled, params.get("cls.w") as Tensor2D),
      params.get("cls.b"),
    ) as Tensor2D;
    return { logits, features: pooled, patches: values };
  }

  /**
   * Class-activation maps [B, C, h, w]: the classifier applied to each patch
   * value, min–max normalised to [0, 1] per image and class.
   */
  cam(params: ParamSource, outputs: MlcOutputs): Tensor4D {
    return tf.tidy(() => {
      const [bs, n, d] = outputs.patches.shape;
      const perPatch = tf.matMul(
        tf.reshape(outputs.patches, [bs * n, d]) as Tensor2D,
        params.get("cls.w") as Tensor2D,
      );
      const maps = tf.transpose(tf.reshape(perPatch, [bs, n, this.numClasses]), [0, 2, 1]);
      const lo = tf.min(maps, 2, true);
      const hi = tf.max(maps, 2, true);
      const norm = tf.div(tf.sub(maps, lo), tf.maximum(tf.sub(hi, lo), 1e-6));
      return tf.reshape(norm, [bs, this.numClasses, this.gridHeight, this.gridWidth]) as Tensor4D;
    });
  }

  /** Binary cross-entropy with logits against multi-hot targets [B, C], mean over entries. */
  loss(outputs: MlcOutputs, targets: Tensor2D): Record<string, Scalar> {
    return tf.tidy(() => ({ loss_bce: tf.losses.sigmoidCrossEntropy(targets, outputs.logits) as Scalar }));
  }

  /** Sigmoid scores [B][C]. */
  scores(outputs: MlcOutputs): number[][] {
    const probs = tf.tidy(() => tf.sigmoid(outputs.logits));
    const arr = probs.arraySync() as number[][];
    probs.dispose();
    return arr;
  }
}
