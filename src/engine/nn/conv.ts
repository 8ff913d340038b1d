// Convolution + bias + activation as one op with a hand-written gradient.
//
// Why not tf.fused.conv2d: tfjs falls back to conv2d → add(bias) → relu
// whenever gradients are being recorded (shouldFuse() is false for gradient
// depth > 0 with a non-linear activation), so training pays for a broadcast
// add and a separate relu pass, and its gradient computes the input gradient
// even for the image itself. Here the forward pass is the backend's
// FusedConv2D kernel (XNNPACK on wasm, one pass), and the backward pass skips
// the input gradient of layers whose input is data.

import type { GradSaveFunc, NamedAttrMap, Tensor, Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { tf } from "../tf.js";
import { canFuse, fused } from "../webgpu/fused.js";

export type Activation = "linear" | "relu";

export interface ConvOptions {
  stride?: number | [number, number];
  pad?: "same" | "valid";
  activation?: Activation;
  /**
   * False for a layer that reads the input images (or anything else that is
   * not trained): its input gradient is then not computed.
   */
  inputGrad?: boolean;
}

function strides(s: number | [number, number] | undefined): [number, number] {
  if (s === undefined) return [1, 1];
  return typeof s === "number" ? [s, s] : s;
}

/** y = act(conv2d(x, w) + b), NHWC, w: [kh, kw, cin, cout], b: [cout]. */
export function conv2d(x: Tensor4D, w: Tensor4D, b: Tensor1D, options: ConvOptions = {}): Tensor4D {
  const st = strides(options.stride);
  const pad = options.pad ?? "same";
  const activation = options.activation ?? "linear";
  const inputGrad = options.inputGrad ?? true;
  const convAttrs = { strides: st, pad, dataFormat: "NHWC", dimRoundingMode: undefined };
  const op = tf.customGrad((...args: (Tensor | GradSaveFunc)[]) => {
    const [xi, wi, bi, save] = args as [Tensor4D, Tensor4D, Tensor1D, GradSaveFunc];
    const y = tf.engine().runKernel("FusedConv2D", { x: xi, filter: wi, bias: bi }, {
      ...convAttrs,
      dilations: [1, 1],
      activation,
    } as unknown as NamedAttrMap) as Tensor4D;
    save([xi, wi, y]);
    return {
      value: y,
      gradFunc: (dy: Tensor4D, saved: Tensor[]) => {
        const [xs, ws, ys] = saved as [Tensor4D, Tensor4D, Tensor4D];
        const g = dy;
        // relu'(z) = [z > 0] = [y > 0]: the mask comes from the saved output
        // (on webgpu one dispatch instead of two; see webgpu/fused.ts).
        const dz =
          activation !== "relu"
            ? g
            : canFuse()
              ? fused("g * select(0.0, 1.0, y > 0.0)", { g, y: ys })
              : tf.mul(g, tf.step(ys));
        const dx = inputGrad
          ? (tf.engine().runKernel("Conv2DBackpropInput", { dy: dz, filter: ws }, {
              ...convAttrs,
              inputShape: xs.shape,
            } as unknown as NamedAttrMap) as Tensor)
          : tf.zerosLike(xs);
        const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x: xs, dy: dz }, {
          ...convAttrs,
          filterShape: ws.shape,
        } as unknown as NamedAttrMap) as Tensor;
        const db = tf.sum(dz, [0, 1, 2]);
        return [dx, dw, db];
      },
    };
  });
  return op(x, w, b) as Tensor4D;
}
