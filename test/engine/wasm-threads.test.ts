// The threaded wasm build in Node (src/engine/wasm/threads.ts). Its own test
// file because a process can initialise the wasm backend only once.

import type { NamedAttrMap, Tensor } from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { selectBackend } from "../../src/engine/backend.js";
import { tf } from "../../src/engine/tf.js";
import { expectClose, on, values } from "./helpers.js";

describe("wasm with 2 threads", () => {
  it("starts 2 pthreads and computes the same gradients as cpu", async () => {
    const chosen = await selectBackend("wasm", { threads: 2 });
    expect(chosen.threads).toBe(2);
    const run = () =>
      tf.engine().runKernel(
        "Conv2DBackpropFilter",
        {
          x: tf.tensor(values(2 * 16 * 16 * 8, 1), [2, 16, 16, 8]),
          dy: tf.tensor(values(2 * 8 * 8 * 16, 2), [2, 8, 8, 16]),
        },
        {
          strides: [2, 2],
          pad: "same",
          dataFormat: "NHWC",
          filterShape: [3, 3, 8, 16],
        } as unknown as NamedAttrMap,
      ) as Tensor;
    const [want] = await on("cpu", run);
    const [got] = await on("wasm", run);
    expectClose(got!, want!);
    const conv = () =>
      tf.conv2d(
        tf.tensor(values(2 * 16 * 16 * 8, 3), [2, 16, 16, 8]) as tf.Tensor4D,
        tf.tensor(values(3 * 3 * 8 * 16, 4), [3, 3, 8, 16]) as tf.Tensor4D,
        1,
        "same",
      );
    const [wantConv] = await on("cpu", conv);
    const [gotConv] = await on("wasm", conv);
    expectClose(gotConv!, wantConv!);
  });
});
