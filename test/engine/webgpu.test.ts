// The webgpu backend (Dawn on Vulkan) against the cpu backend: every
// parameter's gradient of each model, and a few training steps. In CI this
// runs on Mesa's lavapipe (a software Vulkan, installed by .ci/run); where no
// Vulkan adapter exists the suite is skipped with the reason in its title.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Scalar, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { selectBackend } from "../../src/engine/backend.js";
import { MLC_LITE_DEFAULTS, MlcLite } from "../../src/engine/classify/mlc-lite.js";
import { xywhToXyxy } from "../../src/engine/detect/boxes.js";
import type { Detector } from "../../src/engine/detect/detector.js";
import { RETINANET_LITE_DEFAULTS, RetinaNetLite } from "../../src/engine/detect/retinanet-lite.js";
import { SSD_LITE_DEFAULTS, SsdLite } from "../../src/engine/detect/ssd-lite.js";
import { ParamStore } from "../../src/engine/nn/params.js";
import { Rng } from "../../src/engine/nn/rng.js";
import { runTfjsEngine } from "../../src/engine/run-tfjs.js";
import { arraySource } from "../../src/engine/samples.js";
import { tf } from "../../src/engine/tf.js";
import { loadLatestCheckpoint, type NamedArray } from "../../src/engine/train/checkpoint.js";
import { Optimizer, type OptimizerConfig } from "../../src/engine/train/optimizer.js";
import type { RunConfig } from "../../src/spec/types.js";
import { expectClose, on } from "./helpers.js";
import { scene } from "./synthetic.js";
import { ATOMIC_PROGRAMS, recordPrograms, webgpuUnavailable } from "./webgpu-helpers.js";

const S = 32;
const skip = await webgpuUnavailable();
if (skip) console.warn(`webgpu tests skipped: ${skip}`);

/**
 * Gradient tolerance, per parameter tensor: |webgpu − cpu| ≤ 1e-7 + 1e-4·max|cpu|.
 * Both are float32; the kernels sum in different orders (tiled GPU reductions
 * vs sequential loops), which moves the last bits of each sum. Measured on
 * lavapipe: at most 2.2e-6·max|cpu| over every parameter of the three models.
 */
const RTOL = 1e-4;
const ATOL = 1e-7;

function runConfig(arch: string, backend: string): RunConfig {
  return {
    dataset: { name: "shapes", image_size: S },
    labels: { protocol: "full" },
    detector: { arch, width: 4, levels: arch === "mlc-lite" ? 2 : 3 },
    method: { name: "supervised" },
    train: { iterations: 3, batch: 2, lr: 0.01, optimizer: "sgd", schedule: { type: "step", warmup: 0 } },
    engine: { name: "tfjs", backend },
    eval: { type: arch === "mlc-lite" ? "multilabel" : "coco" },
    seed: 5,
  } as RunConfig;
}

/** Three training steps of the supervised method through the engine; the losses and the parameters after them. */
async function trainSteps(
  arch: string,
  backend: string,
): Promise<{ losses: number[]; params: NamedArray[] }> {
  const dir = mkdtempSync(join(tmpdir(), `ls-webgpu-${backend}-`));
  const data = Array.from({ length: 4 }, (_, i) => {
    const s = scene(40 + i, S, 3);
    return {
      imageId: i + 1,
      width: S,
      height: S,
      image: s.image,
      boxes: s.boxes,
      classes: s.classes,
      positives: [...new Set(s.classes)],
    };
  });
  const losses: number[] = [];
  const out = await runTfjsEngine(
    runConfig(arch, backend),
    { categoryIds: [1, 2, 3], labelled: arraySource(data), eval: arraySource(data.slice(0, 2)) },
    { dir, resume: false, onEvent: (e) => e.type === "progress" && losses.push(e.loss) },
  );
  expect(out.kind).toBe("predictions");
  expect(out.backend.name).toBe(backend);
  return { losses, params: loadLatestCheckpoint(join(dir, "checkpoints"))!.params };
}

const detectors: [string, () => Detector][] = [
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
];

describe.skipIf(skip !== null)(`webgpu backend${skip ? ` (skipped: ${skip})` : ""}`, () => {
  for (const [name, make] of detectors) {
    it(`${name}: every parameter's gradient on webgpu agrees with the cpu backend's`, async () => {
      await selectBackend("webgpu");
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
        const { value, grads } = tf.variableGrads(
          () => tf.addN(Object.values(det.loss(det.forward(params, x), targets))) as Scalar,
          params.trainable(),
        );
        const names = params.trainable().map((v) => v.name);
        const out = [value, ...names.map((n) => tf.clone(grads[n]!))];
        params.dispose();
        return out;
      };
      const want = await on("cpu", run);
      const got = await on("webgpu", run);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expectClose(got[i]!, want[i]!, RTOL, ATOL);
    }, 120_000);
  }

  it("mlc-lite: every parameter's gradient on webgpu agrees with the cpu backend's", async () => {
    await selectBackend("webgpu");
    const C = 4;
    const model = new MlcLite({
      ...MLC_LITE_DEFAULTS,
      numClasses: C,
      imageSize: S,
      backbone: { width: 4, levels: 2 },
      dim: 16,
    });
    const scenes = [scene(5, S, C, 3), scene(6, S, C, 3), scene(7, S, C, 3)];
    const labels = scenes.flatMap((s) =>
      Array.from({ length: C }, (_, c) => (s.classes.includes(c) ? 1 : 0)),
    );
    const run = () => {
      const params = model.createParams(new Rng(4));
      const x = tf.tensor4d(Float32Array.from(scenes.flatMap((s) => Array.from(s.image))), [
        3,
        S,
        S,
        3,
      ]) as Tensor4D;
      const y = tf.tensor2d(labels, [3, C]) as Tensor2D;
      const { value, grads } = tf.variableGrads(
        () => tf.addN(Object.values(model.loss(model.forward(params, x), y))) as Scalar,
        params.trainable(),
      );
      const out = [value, ...params.trainable().map((v) => tf.clone(grads[v.name]!))];
      params.dispose();
      return out;
    };
    const want = await on("cpu", run);
    const got = await on("webgpu", run);
    for (let i = 0; i < want.length; i++) expectClose(got[i]!, want[i]!, RTOL, ATOL);
  }, 120_000);

  it("fuses each optimiser update into one formula per tensor, matching the op-by-op update on cpu", async () => {
    await selectBackend("webgpu");
    const configs: OptimizerConfig[] = [
      { kind: "sgd", weightDecay: 1e-2 },
      { kind: "sgd", momentum: 0.9, weightDecay: 5e-4 },
      { kind: "adam", weightDecay: 1e-2, groups: [{ prefix: "b", lrScale: 0.5 }] },
      { kind: "adamw", weightDecay: 1e-2 },
    ];
    for (const config of configs) {
      const run = () => {
        const params = new ParamStore(new Rng(9));
        params.convKernel("a", 3, 3, 4, 8);
        params.dense("b", 5, 3);
        const opt = new Optimizer(config, params);
        for (let step = 0; step < 3; step++) {
          // Seeds from 1: tfjs treats seed 0 as "no seed".
          const grads = new Map(
            params
              .trainableNames()
              .map((n, i) => [n, tf.randomNormal(params.get(n).shape, 0, 1, "float32", 10 * step + i + 1)]),
          );
          opt.apply(grads, 0.05);
          tf.dispose([...grads.values()]);
        }
        const out = params.trainableNames().map((n) => tf.clone(params.get(n)));
        opt.dispose();
        params.dispose();
        return out;
      };
      const want = await on("cpu", run);
      const got = await on("webgpu", run);
      for (let i = 0; i < want.length; i++) expectClose(got[i]!, want[i]!, RTOL, ATOL);
    }
  }, 120_000);

  for (const arch of ["ssd-lite", "retinanet-lite", "mlc-lite"]) {
    it(`${arch}: three training steps on webgpu match the cpu backend, and repeat exactly`, async () => {
      const cpu = await trainSteps(arch, "cpu");
      await selectBackend("webgpu");
      const programs = await recordPrograms();
      const gpu = await trainSteps(arch, "webgpu");
      programs.stop();
      // No program that sums with atomics (their order, hence the float result, varies between runs on a GPU).
      expect([...programs.names].filter((n) => ATOMIC_PROGRAMS.includes(n))).toEqual([]);
      expect(programs.names.size).toBeGreaterThan(5);
      const again = await trainSteps(arch, "webgpu");
      expect(gpu.losses).toHaveLength(3);
      expectClose(Float32Array.from(gpu.losses), Float32Array.from(cpu.losses), RTOL, ATOL);
      expect(gpu.params.map((p) => p.name)).toEqual(cpu.params.map((p) => p.name));
      for (const [i, p] of gpu.params.entries()) expectClose(p.values, cpu.params[i]!.values, RTOL, ATOL);
      // Same device, same inputs, no atomics: the run repeats bit for bit.
      expect(again.losses).toEqual(gpu.losses);
      for (const [i, p] of again.params.entries()) {
        expect(Buffer.from(p.values.buffer).equals(Buffer.from(gpu.params[i]!.values.buffer))).toBe(true);
      }
    }, 180_000);
  }
});
