import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../../src/engine/backend.js";
import { createModel } from "../../../src/engine/models.js";
import { Rng } from "../../../src/engine/nn/rng.js";
import { runTfjsEngine } from "../../../src/engine/run-tfjs.js";
import { arraySource, type MultiLabelSample, type ObservedLabels } from "../../../src/engine/samples.js";
import { tf } from "../../../src/engine/tf.js";
import { loadLatestCheckpoint } from "../../../src/engine/train/checkpoint.js";
import type { TrainEvent } from "../../../src/engine/train/loop.js";
import type { RunConfig } from "../../../src/spec/types.js";
import { scene } from "../synthetic.js";

// AN, ROLE and Scob trained in-process on tiny single-positive data: each
// resumes bit-exactly, Scob's state (estimator, prototype bank, correlation,
// key encoder) rides in its checkpoints, and `momentum_update: code` leaves
// the key encoder at its initial copy.

const S = 48; // a 3×3 patch grid: the centre survives corner cropping
const C = 3;

beforeAll(async () => {
  await selectBackend("wasm");
});

function config(method: { name: string; [k: string]: string | number | undefined }): RunConfig {
  return {
    dataset: { name: "shapes", image_size: S },
    labels: { protocol: "single-positive" },
    detector: { arch: "mlc-lite", width: 4, feature_dim: 8 },
    method,
    train: {
      iterations: 6,
      batch: 4,
      lr: 0.002,
      optimizer: "adam",
      weight_decay: 0,
      schedule: { type: "step", steps: [0.8], gamma: 0.1, warmup: 0 },
      checkpoint_every: 3,
    },
    engine: { name: "tfjs", backend: "wasm" },
    eval: { type: "multilabel" },
    seed: 4,
  } as unknown as RunConfig;
}

/** 10 images, each observing the first class it shows (the single positive). */
function inputs() {
  const data: MultiLabelSample[] = Array.from({ length: 10 }, (_, i) => {
    const s = scene(300 + i, S, C, 3);
    return { imageId: i + 1, width: S, height: S, image: s.image, positives: [s.classes[0]!] };
  });
  const labels = new Int8Array(10 * C);
  data.forEach((d, i) => {
    labels[i * C + d.positives[0]!] = 1;
  });
  const observed: ObservedLabels = { numClasses: C, labels, meanPositives: 1.7 };
  return {
    categoryIds: [1, 2, 3],
    labelled: arraySource(data),
    eval: arraySource(data.slice(0, 4)),
    observed,
  };
}

async function straightAndResumed(
  cfg: RunConfig,
): Promise<{ straight: string; resumed: string; events: TrainEvent[]; dir: string }> {
  const a = mkdtempSync(join(tmpdir(), "ls-spml-a-"));
  const events: TrainEvent[] = [];
  const tensors: number[] = [];
  await runTfjsEngine(cfg, inputs(), {
    dir: a,
    resume: false,
    onEvent: (e) => {
      events.push(e);
      if (e.type === "progress") tensors.push(tf.memory().numTensors);
    },
  });
  // No tensor leaks from step to step (CAM, masks, key features, strong views, the second step).
  expect(tensors[5]).toBe(tensors[2]);
  const b = mkdtempSync(join(tmpdir(), "ls-spml-b-"));
  const stop = new AbortController();
  const first = await runTfjsEngine(cfg, inputs(), {
    dir: b,
    resume: false,
    signal: stop.signal,
    onEvent: (e) => {
      if (e.type === "progress" && e.iter === 4) stop.abort();
    },
  });
  expect(first).toMatchObject({ kind: "stopped", iterations: 4 });
  const resumedEvents: TrainEvent[] = [];
  await runTfjsEngine(cfg, inputs(), { dir: b, resume: true, onEvent: (e) => resumedEvents.push(e) });
  expect(resumedEvents[0]).toMatchObject({ type: "resume", iter: 4 });
  return {
    straight: readFileSync(join(a, "predictions.json"), "utf8"),
    resumed: readFileSync(join(b, "predictions.json"), "utf8"),
    events,
    dir: a,
  };
}

describe("single-positive methods on the tfjs engine", () => {
  for (const method of [
    { name: "an" },
    { name: "role" },
    { name: "scob" },
    { name: "scob", cam: "gradcam" },
  ]) {
    it(`${JSON.stringify(method)} resumes bit-exactly`, async () => {
      const r = await straightAndResumed(config(method));
      expect(r.resumed).toBe(r.straight);
      const progress = r.events.filter((e) => e.type === "progress") as unknown as Record<string, number>[];
      const terms = Object.keys(progress[0]!).filter((k) => k.startsWith("loss_"));
      if (method.name === "an") expect(terms).toEqual(["loss_bce"]);
      if (method.name === "role") expect(terms).toEqual(["loss_role_net", "loss_role_est"]);
      if (method.name === "scob") {
        // The contrastive step ran in some iterations (a mask with a patch), with a finite loss.
        expect(progress.some((p) => Number.isFinite(p.loss_cl))).toBe(true);
      }
      const ck = loadLatestCheckpoint(join(r.dir, "checkpoints"))!;
      const names = ck.params.map((p) => p.name);
      if (method.name === "an") expect(names.some((n) => n.startsWith("estimator."))).toBe(false);
      else expect(ck.params.find((p) => p.name === "estimator.logits")?.shape).toEqual([10, C]);
      if (method.name === "scob") {
        expect(names).toContain("projector.w1");
        expect(ck.hooks.scob?.arrays?.find((a) => a.name === "correlation")?.shape).toEqual([C, C]);
        expect(ck.hooks["scob-key-encoder"]?.arrays?.map((a) => a.name).sort()).toEqual(
          ["pool.key", "pool.pos", "pool.query", "pool.value", "tokens.b", "tokens.w"].sort(),
        );
      }
    }, 240_000);
  }

  it("momentum_update: code keeps the key encoder at its initial copy; paper moves it by EMA", async () => {
    const initial = createModel(config({ name: "scob" }).detector, C, S);
    const params = initial.model.createParams(new Rng(4));
    const init = params.get("pool.key").dataSync().slice();
    params.dispose();
    const keyOf = async (momentum: string) => {
      const dir = mkdtempSync(join(tmpdir(), "ls-scob-ema-"));
      const cfg = config({ name: "scob", momentum_update: momentum, ema_decay: 0.5 });
      const out = await runTfjsEngine(cfg, inputs(), { dir, resume: false });
      expect(out.method).toMatchObject({ momentum_update: momentum, ema_decay: 0.5 });
      const ck = loadLatestCheckpoint(join(dir, "checkpoints"))!;
      return {
        key: ck.hooks["scob-key-encoder"]!.arrays!.find((a) => a.name === "pool.key")!.values,
        student: ck.params.find((p) => p.name === "pool.key")!.values,
      };
    };
    const code = await keyOf("code");
    expect(Array.from(code.key)).toEqual(Array.from(init));
    expect(Array.from(code.student)).not.toEqual(Array.from(init));
    const paper = await keyOf("paper");
    expect(Array.from(paper.key)).not.toEqual(Array.from(init));
    expect(Array.from(paper.key)).not.toEqual(Array.from(paper.student));
  }, 240_000);

  it("refuses a run without observed labels", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-spml-no-"));
    const { observed: _, ...rest } = inputs();
    await expect(runTfjsEngine(config({ name: "role" }), rest, { dir, resume: false })).rejects.toThrow(
      /method 'role' needs observed image-level labels/,
    );
  });
});
