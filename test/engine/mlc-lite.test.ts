import type { Scalar, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/engine/backend.js";
import { MLC_LITE_DEFAULTS, MlcLite } from "../../src/engine/classify/mlc-lite.js";
import { Rng } from "../../src/engine/nn/rng.js";
import { tf } from "../../src/engine/tf.js";
import { type TrainEvent, train } from "../../src/engine/train/loop.js";
import { epochBatch } from "../../src/engine/train/sampling.js";
import { scene } from "./synthetic.js";

const S = 32;
const C = 4;

beforeAll(async () => {
  await selectBackend("wasm");
});

/** Mean over classes of non-interpolated AP (the multi-label mAP of METHODS.md §5c). */
function meanAp(scores: number[][], labels: number[][]): number {
  const aps: number[] = [];
  for (let c = 0; c < scores[0]!.length; c++) {
    const order = scores.map((s, i) => [s[c]!, labels[i]![c]!] as const).sort((a, b) => b[0] - a[0]);
    let tp = 0;
    let sum = 0;
    order.forEach(([, y], i) => {
      if (y) {
        tp++;
        sum += tp / (i + 1);
      }
    });
    aps.push(tp ? sum / tp : 0);
  }
  return aps.reduce((a, b) => a + b) / aps.length;
}

describe("mlc-lite", () => {
  it("learns multi-label targets (high mAP on its training images)", async () => {
    const model = new MlcLite({
      ...MLC_LITE_DEFAULTS,
      numClasses: C,
      imageSize: S,
      backbone: { width: 8, levels: 2 },
      dim: 32,
    });
    const params = model.createParams(new Rng(1));
    const scenes = Array.from({ length: 16 }, (_, i) => scene(100 + i, S, C, 3));
    const labels = scenes.map((s) => Array.from({ length: C }, (_, c) => (s.classes.includes(c) ? 1 : 0)));
    const images = tf.tensor4d(Float32Array.from(scenes.flatMap((s) => Array.from(s.image))), [
      16,
      S,
      S,
      3,
    ]) as Tensor4D;
    const events: TrainEvent[] = [];
    await train(
      {
        params,
        nextBatch: (ctx) => epochBatch(16, 8, ctx.iter, 1),
        losses: (_ctx, idx) => {
          const x = tf.gather(images, idx) as Tensor4D;
          const y = tf.tensor2d(idx.map((i) => labels[i]!)) as Tensor2D;
          return model.loss(model.forward(params, x), y) as Record<string, Scalar>;
        },
      },
      { iterations: 60, lr: 0.003, optimizer: { kind: "adam" }, seed: 1 },
      [],
      { onEvent: (e) => events.push(e) },
    );
    const losses = events.flatMap((e) => (e.type === "progress" ? [e.loss] : []));
    expect(losses.at(-1)!).toBeLessThan(losses[0]! / 2);
    const out = model.forward(params, images);
    expect(meanAp(model.scores(out), labels)).toBeGreaterThan(0.9);
    tf.dispose([images, out.logits, out.features, out.patches]);
    params.dispose();
  });

  it("pools only unmasked patches, falls back to all when everything is masked, and gives CAMs in [0, 1]", () => {
    for (const pool of ["attention", "avg"] as const) {
      const model = new MlcLite({
        ...MLC_LITE_DEFAULTS,
        numClasses: C,
        imageSize: S,
        backbone: { width: 8, levels: 2 },
        dim: 16,
        pool,
      });
      const params = model.createParams(new Rng(3));
      tf.tidy(() => {
        const x = tf.tensor4d(scene(1, S, C).image, [1, S, S, 3]) as Tensor4D;
        const n = model.numPatches;
        const only = (k: number) =>
          tf.tensor2d([Array.from({ length: n }, (_, i) => (i === k ? 1 : 0))]) as Tensor2D;
        const single = model.forward(params, x, only(2));
        // With one patch left, the pooled feature is that patch's value.
        const patch = tf.reshape(tf.slice(single.patches, [0, 2, 0], [1, 1, -1]), [1, -1]);
        expect(tf.max(tf.abs(tf.sub(single.features, patch))).dataSync()[0]).toBeLessThan(1e-4);
        const none = model.forward(params, x, tf.zeros([1, n]) as Tensor2D);
        const all = model.forward(params, x);
        expect(tf.max(tf.abs(tf.sub(none.features, all.features))).dataSync()[0]).toBeLessThan(1e-5);
        const cam = model.cam(params, all);
        expect(cam.shape).toEqual([1, C, model.gridHeight, model.gridWidth]);
        expect(tf.min(cam).dataSync()[0]).toBeGreaterThanOrEqual(0);
        expect(tf.max(cam).dataSync()[0]).toBeLessThanOrEqual(1);
      });
      params.dispose();
    }
  });
});
