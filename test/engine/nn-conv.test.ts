import type { Tensor, Tensor1D, Tensor4D } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/engine/backend.js";
import { conv2d } from "../../src/engine/nn/conv.js";
import { tf } from "../../src/engine/tf.js";
import { expectClose, on, values } from "./helpers.js";

beforeAll(async () => {
  await selectBackend("wasm");
});

function inputs(): [Tensor4D, Tensor4D, Tensor1D] {
  return [
    tf.tensor4d(values(2 * 9 * 7 * 4, 1), [2, 9, 7, 4]),
    tf.tensor4d(values(3 * 3 * 4 * 6, 2), [3, 3, 4, 6]),
    tf.tensor1d(values(6, 3)),
  ];
}

describe("nn conv2d (fused forward, hand-written gradient)", () => {
  for (const stride of [1, 2]) {
    for (const activation of ["relu", "linear"] as const) {
      it(`stride ${stride}, ${activation}: output and gradients equal tfjs's conv2d + add + activation`, async () => {
        const run = (ours: boolean) => () => {
          const [x, w, b] = inputs();
          const outShape = [2, stride === 1 ? 9 : 5, stride === 1 ? 7 : 4, 6];
          const r = tf.tensor(
            values(
              outShape.reduce((p, q) => p * q, 1),
              9,
            ),
            outShape,
          );
          const layer = (xi: Tensor, wi: Tensor, bi: Tensor): Tensor => {
            if (ours) return conv2d(xi as Tensor4D, wi as Tensor4D, bi as Tensor1D, { stride, activation });
            const z = tf.add(tf.conv2d(xi as Tensor4D, wi as Tensor4D, stride, "same"), bi);
            return activation === "relu" ? tf.relu(z) : z;
          };
          const f = (xi: Tensor, wi: Tensor, bi: Tensor) => tf.sum(tf.mul(layer(xi, wi, bi), r));
          return [layer(x, w, b), ...tf.grads(f)([x, w, b])];
        };
        const want = await on("cpu", run(false));
        for (const backend of ["cpu", "wasm"]) {
          const got = await on(backend, run(true));
          expect(got.length).toBe(4);
          for (let i = 0; i < want.length; i++) expectClose(got[i]!, want[i]!);
        }
      });
    }
  }

  it("gradients of a two-layer stack match tfjs's own on cpu, on cpu and wasm", async () => {
    const build = (useOurs: boolean) => () => {
      const x = tf.tensor4d(values(2 * 10 * 10 * 3, 4), [2, 10, 10, 3]);
      const w1 = tf.tensor4d(values(3 * 3 * 3 * 8, 5), [3, 3, 3, 8]);
      const b1 = tf.tensor1d(values(8, 6));
      const w2 = tf.tensor4d(values(3 * 3 * 8 * 5, 7), [3, 3, 8, 5]);
      const b2 = tf.tensor1d(values(5, 8));
      const f = (a: Tensor, b: Tensor, c: Tensor, d: Tensor) => {
        const h = useOurs
          ? conv2d(x, a as Tensor4D, b as Tensor1D, { stride: 2, activation: "relu", inputGrad: false })
          : tf.relu(tf.add(tf.conv2d(x, a as Tensor4D, 2, "same"), b));
        const y = useOurs
          ? conv2d(h as Tensor4D, c as Tensor4D, d as Tensor1D, { stride: 1 })
          : tf.add(tf.conv2d(h as Tensor4D, c as Tensor4D, 1, "same"), d);
        return tf.sum(tf.square(y));
      };
      return [f(w1, b1, w2, b2), ...tf.grads(f)([w1, b1, w2, b2])];
    };
    const want = await on("cpu", build(false));
    for (const backend of ["cpu", "wasm"]) {
      const got = await on(backend, build(true));
      for (let i = 0; i < want.length; i++) expectClose(got[i]!, want[i]!);
    }
  });

  it("returns a zero input gradient when inputGrad is false", async () => {
    const [g] = await on("wasm", () => {
      const [x, w, b] = inputs();
      return tf.grad((xi: Tensor) => tf.sum(conv2d(xi as Tensor4D, w, b, { inputGrad: false })))(x);
    });
    expect(Math.max(...g!.map(Math.abs))).toBe(0);
  });
});
