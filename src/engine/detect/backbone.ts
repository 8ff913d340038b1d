// A small plain conv backbone (no normalisation layers) with outputs at
// strides 8, 16, 32, … — one per pyramid level. Three levels by default
// (METHODS.md §7: ≥ 3 levels so SED can pair level l at full scale with level
// l−1 at half scale); up to six for SSD-style extra levels.

import type { Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { conv2d } from "../nn/conv.js";
import type { ParamStore } from "../nn/params.js";
import { tf } from "../tf.js";

export interface BackboneConfig {
  /** Channels of the first stage; later stages use 2×, 4×, 8×, then 8× again. */
  width: number;
  /** Output levels, at strides 8·2^k for k < levels. */
  levels: number;
}

interface Layer {
  name: string;
  cin: number;
  cout: number;
  stride: number;
}

/** Stage s (two 3×3 convs, the first with stride 2) ends at stride 2^(s+1). */
function stages(config: BackboneConfig): Layer[][] {
  const w = config.width;
  const channels = [w, 2 * w, 4 * w, 8 * w];
  const count = 2 + config.levels; // stages 0, 1 reach stride 4; each later one is an output level
  const out: Layer[][] = [];
  let cin = 3;
  for (let s = 0; s < count; s++) {
    const cout = channels[Math.min(s, channels.length - 1)]!;
    out.push([
      { name: `s${s}.0`, cin, cout, stride: 2 },
      { name: `s${s}.1`, cin: cout, cout, stride: 1 },
    ]);
    cin = cout;
  }
  return out;
}

export function levelStrides(levels: number): number[] {
  return Array.from({ length: levels }, (_, k) => 8 * 2 ** k);
}

/** Output channels per level. */
export function backboneChannels(config: BackboneConfig): number[] {
  return stages(config)
    .slice(2)
    .map((stage) => stage[1]!.cout);
}

export function createBackbone(params: ParamStore, prefix: string, config: BackboneConfig): void {
  for (const stage of stages(config)) {
    for (const l of stage) {
      params.convKernel(`${prefix}.${l.name}.w`, 3, 3, l.cin, l.cout);
      params.constant(`${prefix}.${l.name}.b`, [l.cout], 0);
    }
  }
}

/** Images normalised to zero-ish mean: the models take pixels in [0, 1]. */
export function normalise(images: Tensor4D): Tensor4D {
  return tf.mul(tf.sub(images, 0.5), 4) as Tensor4D;
}

/** Features per level (strides 8, 16, …) for normalised images [B, H, W, 3]. */
export function backbone(
  params: Pick<ParamStore, "get">,
  prefix: string,
  config: BackboneConfig,
  x: Tensor4D,
): Tensor4D[] {
  const outs: Tensor4D[] = [];
  let h = x;
  let first = true;
  stages(config).forEach((stage, s) => {
    for (const l of stage) {
      h = conv2d(
        h,
        params.get(`${prefix}.${l.name}.w`) as Tensor4D,
        params.get(`${prefix}.${l.name}.b`) as Tensor1D,
        {
          stride: l.stride,
          activation: "relu",
          // The first layer reads the images: no input gradient needed.
          inputGrad: !first,
        },
      );
      first = false;
    }
    if (s >= 2) outs.push(h);
  });
  return outs;
}
