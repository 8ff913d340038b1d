import type { Scalar, Tensor4D } from "@tensorflow/tfjs-core";
import { describe, it } from "vitest";
import { selectBackend } from "../../src/engine/backend.js";
import { xywhToXyxy } from "../../src/engine/detect/boxes.js";
import type { Detector } from "../../src/engine/detect/detector.js";
import { RETINANET_LITE_DEFAULTS, RetinaNetLite } from "../../src/engine/detect/retinanet-lite.js";
import { SSD_LITE_DEFAULTS, SsdLite } from "../../src/engine/detect/ssd-lite.js";
import { Rng } from "../../src/engine/nn/rng.js";
import { tf } from "../../src/engine/tf.js";
import { expectClose, on } from "./helpers.js";
import { scene } from "./synthetic.js";

const S = 32;

describe("detector gradients", () => {
  for (const [name, make] of [
    [
      "ssd-lite",
      () =>
        new SsdLite({ ...SSD_LITE_DEFAULTS, numClasses: 3, imageSize: S, backbone: { width: 4, levels: 3 } }),
    ],
    [
      "retinanet-lite",
      () =>
        new RetinaNetLite({
          ...RETINANET_LITE_DEFAULTS,
          numClasses: 3,
          imageSize: S,
          backbone: { width: 4, levels: 3 },
          fpnChannels: 8,
          headConvs: 2,
        }),
    ],
  ] as [string, () => Detector][]) {
    it(`${name}: every parameter's gradient on wasm equals the cpu backend's`, async () => {
      await selectBackend("wasm");
      const det = make();
      const scenes = [scene(1, S, 3), scene(2, S, 3)];
      const targets = det.assignTargets(
        scenes.map((s) => ({ boxes: s.boxes.map(xywhToXyxy), classes: s.classes })),
      );
      const run = () => {
        const params = det.createParams(new Rng(3));
        const x = tf.tensor4d(Float32Array.from(scenes.flatMap((s) => Array.from(s.image))), [
          2,
          S,
          S,
          3,
        ]) as Tensor4D;
        const { grads } = tf.variableGrads(
          () => tf.addN(Object.values(det.loss(det.forward(params, x), targets))) as Scalar,
          params.trainable(),
        );
        const names = params.trainable().map((v) => v.name);
        const out = names.map((n) => tf.clone(grads[n]!));
        params.dispose();
        return out;
      };
      const want = await on("cpu", run);
      const got = await on("wasm", run);
      for (let i = 0; i < want.length; i++) expectClose(got[i]!, want[i]!, 2e-3, 1e-5);
    });
  }
});
