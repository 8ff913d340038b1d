// Every kernel labelsweep registers on the wasm backend must agree with the
// reference cpu backend (plain JavaScript loops) on the same inputs.

import type { NamedAttrMap, Tensor } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/engine/backend.js";
import { tf } from "../../src/engine/tf.js";
import { expectClose, on, values } from "./helpers.js";

type Pad = "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: Pad;
}

const CASES: ConvCase[] = [
  {
    name: "3x3 stride 1 same, odd sizes, C=3",
    x: [2, 7, 9, 3],
    filter: [3, 3, 3, 5],
    strides: [1, 1],
    pad: "same",
  },
  {
    name: "3x3 stride 2 same, odd sizes",
    x: [2, 7, 9, 3],
    filter: [3, 3, 3, 5],
    strides: [2, 2],
    pad: "same",
  },
  { name: "3x3 stride 1 valid", x: [3, 6, 7, 4], filter: [3, 3, 4, 6], strides: [1, 1], pad: "valid" },
  {
    name: "3x3 stride 2 valid, leftover rows",
    x: [2, 8, 10, 5],
    filter: [3, 3, 5, 4],
    strides: [2, 2],
    pad: "valid",
  },
  {
    name: "3x3 stride 2 same, SIMD widths (C=8, OW=6)",
    x: [2, 11, 12, 8],
    filter: [3, 3, 8, 12],
    strides: [2, 2],
    pad: "same",
  },
  {
    name: "3x3 stride 1 same, C=9 (SIMD + tail)",
    x: [2, 9, 13, 9],
    filter: [3, 3, 9, 7],
    strides: [1, 1],
    pad: "same",
  },
  { name: "1x1 stride 1", x: [2, 5, 6, 8], filter: [1, 1, 8, 4], strides: [1, 1], pad: "valid" },
  { name: "1x1 stride 2", x: [2, 5, 6, 4], filter: [1, 1, 4, 3], strides: [2, 2], pad: "same" },
  {
    name: "5x3 filter, strides [2,1], same",
    x: [2, 9, 8, 4],
    filter: [5, 3, 4, 6],
    strides: [2, 1],
    pad: "same",
  },
  {
    name: "explicit asymmetric padding, stride 2",
    x: [2, 7, 8, 4],
    filter: [3, 3, 4, 5],
    strides: [2, 2],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    name: "explicit padding beyond the kernel, stride 1",
    x: [1, 4, 5, 4],
    filter: [2, 2, 4, 3],
    strides: [1, 1],
    pad: [
      [0, 0],
      [2, 0],
      [0, 3],
      [0, 0],
    ],
  },
];

function outShape(c: ConvCase): number[] {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
}

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

beforeAll(async () => {
  const chosen = await selectBackend("wasm");
  expect(chosen.name).toBe("wasm");
  expect(chosen.fastKernels).toEqual(
    expect.arrayContaining(["Conv2DBackpropFilter", "Conv2DBackpropInput", "Sum", "Mean", "BatchMatMul"]),
  );
});

describe("Conv2DBackpropFilter on wasm", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const dyShape = outShape(c);
      const run = () =>
        tf
          .engine()
          .runKernel(
            "Conv2DBackpropFilter",
            { x: tf.tensor(values(size(c.x), 1), c.x), dy: tf.tensor(values(size(dyShape), 2), dyShape) },
            {
              strides: c.strides,
              pad: c.pad,
              dataFormat: "NHWC",
              filterShape: c.filter,
            } as unknown as NamedAttrMap,
          ) as Tensor;
      const [want] = await on("cpu", run);
      const [got] = await on("wasm", run);
      expectClose(got!, want!);
    });
  }
});

describe("Conv2DBackpropInput on wasm", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const dyShape = outShape(c);
      const run = () =>
        tf.engine().runKernel(
          "Conv2DBackpropInput",
          {
            dy: tf.tensor(values(size(dyShape), 3), dyShape),
            filter: tf.tensor(values(size(c.filter), 4), c.filter),
          },
          {
            strides: c.strides,
            pad: c.pad,
            dataFormat: "NHWC",
            inputShape: c.x,
          } as unknown as NamedAttrMap,
        ) as Tensor;
      const [want] = await on("cpu", run);
      const [got] = await on("wasm", run);
      expectClose(got!, want!);
    });
  }
});

describe("Sum and Mean over leading axes on wasm", () => {
  const shapes: [number[], number[], boolean][] = [
    [[2, 5, 7, 6], [0, 1, 2], false],
    [[3, 4, 5, 3], [0, 1, 2], true],
    [[300, 9], [0], false],
    [[4, 6], [0, 1], false],
    [[2, 3, 4], [1, 2], false], // not leading: falls back to the stock kernel
  ];
  for (const [shape, axes, keepDims] of shapes) {
    it(`shape [${shape}] axes [${axes}] keepDims ${keepDims}`, async () => {
      const run = () => {
        const x = tf.tensor(values(size(shape), 5), shape);
        return [tf.sum(x, axes, keepDims), tf.mean(x, axes, keepDims)];
      };
      const want = await on("cpu", run);
      const got = await on("wasm", run);
      expectClose(got[0]!, want[0]!);
      expectClose(got[1]!, want[1]!);
    });
  }
});

describe("BatchMatMul with transposes on wasm", () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[1, 9, 4], [1, 6, 4], false, true],
    [[2, 4, 3], [2, 4, 5], true, false], // batch 2: falls back to the stock kernel
  ];
  for (const [sa, sb, ta, tb] of cases) {
    it(`[${sa}] x [${sb}] transposeA ${ta} transposeB ${tb}`, async () => {
      const run = () =>
        tf.matMul(tf.tensor(values(size(sa), 6), sa), tf.tensor(values(size(sb), 7), sb), ta, tb);
      const [want] = await on("cpu", run);
      const [got] = await on("wasm", run);
      expectClose(got!, want!);
    });
  }
});

describe("ResizeNearestNeighborGrad: cpu (fixed by labelsweep) and wasm agree", () => {
  const cases: [number, number, number, number, boolean, boolean][] = [
    [2, 4, 5, 8, false, false],
    [3, 5, 2, 3, false, false],
    [4, 7, 9, 4, false, false],
    [1, 2, 3, 5, false, false],
    [3, 6, 5, 4, true, false],
    [3, 6, 5, 4, false, true],
  ];
  for (const [h, oh, w, c, alignCorners, halfPixelCenters] of cases) {
    it(`${h}×${w} → ${oh}×${2 * w}, C=${c}, alignCorners ${alignCorners}, halfPixelCenters ${halfPixelCenters}`, async () => {
      const ow = 2 * w;
      const run = () => {
        const x = tf.tensor4d(values(2 * h * w * c, 1), [2, h, w, c]);
        const r = tf.tensor4d(values(2 * oh * ow * c, 2), [2, oh, ow, c]);
        const f = (xi: Tensor) =>
          tf.sum(
            tf.mul(
              tf.image.resizeNearestNeighbor(xi as tf.Tensor4D, [oh, ow], alignCorners, halfPixelCenters),
              r,
            ),
          );
        return tf.grad(f)(x);
      };
      const [want] = await on("cpu", run);
      const [got] = await on("wasm", run);
      expectClose(got!, want!);
    });
  }

  it("exact 2× upsampling, batch 2: each input pixel's gradient is the sum of its 2×2 block, on both backends", async () => {
    const r = values(2 * 4 * 6 * 2, 3);
    const run = () =>
      tf.grad((xi: Tensor) =>
        tf.sum(
          tf.mul(tf.image.resizeNearestNeighbor(xi as tf.Tensor4D, [4, 6]), tf.tensor4d(r, [2, 4, 6, 2])),
        ),
      )(tf.zeros([2, 2, 3, 2]));
    const want = new Float32Array(2 * 2 * 3 * 2);
    for (let b = 0; b < 2; b++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 6; x++)
          for (let k = 0; k < 2; k++)
            want[((b * 2 + (y >> 1)) * 3 + (x >> 1)) * 2 + k]! += r[((b * 4 + y) * 6 + x) * 2 + k]!;
    for (const backend of ["cpu", "wasm"]) expectClose((await on(backend, run))[0]!, want);
  });
});

describe("gradients through a small conv net", () => {
  it("match the cpu backend, and leak no tensors", async () => {
    const run = () => {
      const x = tf.tensor(values(2 * 12 * 10 * 3, 8), [2, 12, 10, 3]);
      const w1 = tf.mul(tf.tensor(values(3 * 3 * 3 * 8, 9), [3, 3, 3, 8]), 0.3);
      const w2 = tf.mul(tf.tensor(values(3 * 3 * 8 * 6, 10), [3, 3, 8, 6]), 0.2);
      const b1 = tf.tensor(values(8, 11), [8]);
      const loss = (a: Tensor, b: Tensor, c: Tensor) => {
        const h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, a as tf.Tensor4D, 2, "same"), c)) as tf.Tensor4D;
        const y = tf.conv2d(h, b as tf.Tensor4D, 1, "same");
        return tf.sum(tf.square(y));
      };
      return tf.grads(loss)([w1, w2, b1]);
    };
    const want = await on("cpu", run);
    const before = tf.memory().numTensors;
    const got = await on("wasm", run);
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < want.length; i++) expectClose(got[i]!, want[i]!);
  });
});
