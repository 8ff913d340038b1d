// A small plain conv backbone (no normalisation layers) with outputs at
// strides 8, 16 and 32: the three pyramid levels the detectors share
// (METHODS.md §7: ≥ 3 levels so SED can pair level l at full scale with level
// l−1 at half scale).

import type { Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { conv2d } from "../nn/conv.js";
import type { ParamStore } from "../nn/params.js";
import { tf } from "../tf.js";

export interface BackboneConfig {
  /** Channels of the first stage; later stages use 2×, 4×, 8×, 8×. */
  width: number;
}

export const BACKBONE_STRIDES = [8, 16, 32] as const;

interface Layer {
  name: string;
  cin: number;
  cout: number;
  stride: number;
}

function layers(width: number): Layer[][] {
  const w = width;
  // stage i ends at stride 2^(i+1); stages 2..4 (strides 8, 16, 32) are outputs.
  return [
    [
      { name: "s0.0", cin: 3, cout: w, stride: 2 },
      { name: "s0.1", cin: w, cout: w, stride: 1 },
    ],
    [
      { name: "s1.0", cin: w, cout: 2 * w, stride: 2 },
      { name: "s1.1", cin: 2 * w, cout: 2 * w, stride: 1 },
    ],
    [
      { name: "s2.0", cin: 2 * w, cout: 4 * w, stride: 2 },
      { name: "s2.1", cin: 4 * w, cout: 4 * w, stride: 1 },
    ],
    [
      { name: "s3.0", cin: 4 * w, cout: 8 * w, stride: 2 },
      { name: "s3.1", cin: 8 * w, cout: 8 * w, stride: 1 },
    ],
    [
      { name: "s4.0", cin: 8 * w, cout: 8 * w, stride: 2 },
      { name: "s4.1", cin: 8 * w, cout: 8 * w, stride: 1 },
    ],
  ];
}

/** Output channels at strides 8, 16, 32. */
export function backboneChannels(config: BackboneConfig): [number, number, number] {
  return [4 * config.width, 8 * config.width, 8 * config.width];
}

export function createBackbone(params: ParamStore, prefix: string, config: BackboneConfig): void {
  for (const stage of layers(config.width)) {
    for (const l of stage) {
      params.convKernel(`${prefix}.${l.name}.w`, 3, 3, l.cin, l.cout);
      params.constant(`${prefix}.${l.name}.b`, [l.cout], 0);
    }
  }
}

/** Images normalised to zero-ish mean: the detectors take pixels in [0, 1]. */
export function normalise(images: Tensor4D): Tensor4D {
  return tf.mul(tf.sub(images, 0.5), 4) as Tensor4D;
}

/** Features at strides 8, 16, 32 for normalised images [B, H, W, 3]. */
export function backbone(
  params: ParamStore,
  prefix: string,
  config: BackboneConfig,
  x: Tensor4D,
): Tensor4D[] {
  const outs: Tensor4D[] = [];
  let h = x;
  let first = true;
  layers(config.width).forEach((stage, i) => {
    for (const l of stage) {
      h = conv2d(
        h,
        params.get(`${prefix}.${l.name}.w`) as Tensor4D,
        params.get(`${prefix}.${l.name}.b`) as Tensor1D,
        {
          stride: l.stride,
          activation: "relu",
          inputGrad: !first,
        },
      );
      first = false;
    }
    if (i >= 2) outs.push(h);
  });
  return outs;
}
