// Scob's semantic guidance (METHODS.md §5a step 2; iCVTEAM/Scob cam.py,
// main.py): a class-activation map of each image's observed class turned into
// a patch mask — which patches the masked attention may read.
//
// The map is either plain CAM (`cam`: the classifier's weights for the class
// applied to every patch value, Zhou et al. 2016 — §5e's cheap stand-in) or
// Grad-CAM++ (`gradcam`: pytorch_grad_cam's GradCAMPlusPlus, as the code runs
// it on the backbone's last block, for the sigmoid probability its model
// outputs). Either map goes through pytorch_grad_cam's post-processing and
// Scob's mask steps:
//   ReLU, min–max scale (x − min, / (1e-7 + max)), bilinear resize to the
//   input side (cv2.resize), ReLU + scale again (aggregate_multi_layers);
//   average-pooled to the patch grid (resize_mask: kernel = stride);
//   the four corner patches zeroed (crop_corner);
//   binarised: score ≥ threshold (0.5) → 1 (generate_binary_mask).

import type { Tensor2D, Tensor3D, Tensor4D } from "@tensorflow/tfjs-core";
import type { MlcLite, MlcOutputs, ParamSource } from "../../classify/mlc-lite.js";
import { tf } from "../../tf.js";

export interface PatchMaskOptions {
  /** Input pixels per patch (mlc-lite: 16): the map is resized to grid × stride, then pooled back. */
  stride: number;
  threshold: number;
  cropCorners: boolean;
}

export interface PatchMasks {
  /** [B · h · w] pooled scores in [0, 1], row-major per image. */
  scores: Float32Array;
  /** [B · h · w] 1 where a patch may be attended, 0 where it is masked out. */
  mask: Float32Array;
  /** Per image: does its mask keep at least one patch. */
  nonEmpty: boolean[];
}

/** pytorch_grad_cam's scale_cam_image per image of [B, h, w]: x − min, then / (1e-7 + max). */
function scale(maps: Tensor3D): Tensor3D {
  const shifted = tf.sub(maps, tf.min(maps, [1, 2], true));
  return tf.div(shifted, tf.add(tf.max(shifted, [1, 2], true), 1e-7)) as Tensor3D;
}

/** CAM maps [B, h, w] on the patch grid → pooled scores and the binary patch mask. */
export function patchMasks(maps: Tensor3D, options: PatchMaskOptions): PatchMasks {
  const [b, h, w] = maps.shape;
  const s = options.stride;
  const pooled = tf.tidy(() => {
    const first = scale(tf.relu(maps));
    const resized = tf.image.resizeBilinear(tf.expandDims(first, 3) as Tensor4D, [h * s, w * s], false, true);
    const again = tf.expandDims(scale(tf.squeeze(tf.relu(resized), [3]) as Tensor3D), 3) as Tensor4D;
    return tf.avgPool(again, s, s, "valid");
  });
  const scores = Float32Array.from(pooled.dataSync());
  pooled.dispose();
  if (options.cropCorners) {
    for (let i = 0; i < b; i++) {
      for (const at of [0, w - 1, (h - 1) * w, h * w - 1]) scores[i * h * w + at] = 0;
    }
  }
  const mask = scores.map((v) => (v >= options.threshold ? 1 : 0));
  const nonEmpty = Array.from({ length: b }, (_, i) => mask.subarray(i * h * w, (i + 1) * h * w).includes(1));
  return { scores, mask, nonEmpty };
}

/** Plain CAM [B, h, w]: each patch value times the classifier weights of its image's class. */
export function classActivationMaps(
  model: MlcLite,
  params: ParamSource,
  outputs: MlcOutputs,
  classes: number[],
): Tensor3D {
  return tf.tidy(() => {
    const weights = tf.gather(tf.transpose(params.get("cls.w")), tf.tensor1d(classes, "int32")) as Tensor2D;
    const perPatch = tf.sum(tf.mul(outputs.patches, tf.expandDims(weights, 1)), 2);
    return tf.reshape(perPatch, [classes.length, model.gridHeight, model.gridWidth]) as Tensor3D;
  });
}

/**
 * Grad-CAM++ [B, h, w] (pytorch_grad_cam GradCAMPlusPlus, Chattopadhay et al.
 * eq. 19) on the backbone's stride-16 feature map A, for each image's class:
 * g = ∂p_c/∂A, α = g² / (2g² + Σ_ij A · g³ + 1e-6) (0 where g = 0),
 * w_k = Σ_ij ReLU(g)·α, map = Σ_k w_k A_k (patchMasks applies the ReLU).
 */
export function gradCamPlusPlus(
  model: MlcLite,
  params: ParamSource,
  images: Tensor4D,
  classes: number[],
): Tensor3D {
  return tf.tidy(() => {
    const a = model.featureMap(params, images);
    const target = tf.oneHot(tf.tensor1d(classes, "int32"), model.numClasses);
    const probability = (x: tf.Tensor) =>
      tf.sum(tf.mul(tf.sigmoid(model.head(params, x as Tensor4D).logits), target));
    return gradCamPlusPlusMap(a, tf.grad(probability)(a) as Tensor4D);
  });
}

/** Grad-CAM++'s map Σ_k w_k A_k [B, h, w] from activations and gradients [B, h, w, ch]. */
export function gradCamPlusPlusMap(a: Tensor4D, g: Tensor4D): Tensor3D {
  return tf.tidy(() => {
    const g2 = tf.square(g);
    const g3 = tf.mul(g2, g);
    const sumA = tf.sum(a, [1, 2], true);
    const alpha = tf.div(g2, tf.add(tf.add(tf.mul(g2, 2), tf.mul(sumA, g3)), 1e-6));
    const alphaKept = tf.where(tf.notEqual(g, 0), alpha, tf.zerosLike(alpha));
    const weights = tf.sum(tf.mul(tf.relu(g), alphaKept), [1, 2], true);
    return tf.sum(tf.mul(a, weights), 3) as Tensor3D;
  });
}
