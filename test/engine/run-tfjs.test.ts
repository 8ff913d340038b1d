import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type ColumnarDataset,
  detectionSamples,
  multiLabelSamples,
} from "../../src/engine/dataset-samples.js";
import { isTfjsMethod } from "../../src/engine/methods/registry.js";
import { runTfjsEngine, trainConfig } from "../../src/engine/run-tfjs.js";
import { arraySource, type DetectionSample } from "../../src/engine/samples.js";
import { loadLatestCheckpoint } from "../../src/engine/train/checkpoint.js";
import type { TrainEvent } from "../../src/engine/train/loop.js";
import { METHOD_RULES } from "../../src/spec/compat.js";
import { labelledPerStep, trainIterations } from "../../src/spec/train-length.js";
import type { MethodName, RunConfig } from "../../src/spec/types.js";
import { NotImplementedError } from "../../src/util/errors.js";
import { scene } from "./synthetic.js";

const S = 32;

function config(arch: string, extra: Partial<RunConfig> = {}): RunConfig {
  return {
    dataset: { name: "shapes", image_size: S },
    labels: { protocol: "full" },
    detector: { arch, width: 8, levels: arch === "retinanet-lite" ? 3 : 3 },
    method: { name: "supervised" },
    train: {
      iterations: 12,
      batch: 4,
      lr: 0.003,
      optimizer: "adam",
      schedule: { type: "cosine", warmup: 2 },
      checkpoint_every: 4,
    },
    engine: { name: "tfjs", backend: "wasm" },
    eval: { type: "coco" },
    seed: 2,
    ...extra,
  } as RunConfig;
}

function samples(n: number): DetectionSample[] {
  return Array.from({ length: n }, (_, i) => {
    const s = scene(i, S, 3);
    return { imageId: 100 + i, width: S, height: S, image: s.image, boxes: s.boxes, classes: s.classes };
  });
}

describe("runTfjsEngine", () => {
  it("trains ssd-lite, stops on request, resumes, and writes COCO results", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-run-"));
    const data = samples(8);
    const inputs = {
      categoryIds: [5, 6, 7],
      labelled: arraySource(data),
      eval: arraySource(data.slice(0, 3)),
    };
    const stop = new AbortController();
    const first = await runTfjsEngine(config("ssd-lite"), inputs, {
      dir,
      resume: false,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === "progress" && e.iter === 6) stop.abort();
      },
    });
    expect(first).toMatchObject({ kind: "stopped", iterations: 6 });
    expect(first.backend.name).toBe("wasm");
    const events: TrainEvent[] = [];
    const second = await runTfjsEngine(config("ssd-lite"), inputs, {
      dir,
      resume: true,
      onEvent: (e) => events.push(e),
    });
    expect(events[0]).toMatchObject({ type: "resume", iter: 6 });
    expect(second).toMatchObject({
      kind: "predictions",
      iterations: 12,
      file: join(dir, "predictions.json"),
    });
    const results = JSON.parse(readFileSync(join(dir, "predictions.json"), "utf8")) as {
      image_id: number;
      category_id: number;
    }[];
    expect(results.length).toBeGreaterThan(0);
    expect(new Set(results.map((r) => r.image_id))).toEqual(new Set([100, 101, 102]));
    expect(results.every((r) => [5, 6, 7].includes(r.category_id))).toBe(true);
    // Starting again without resume clears the old checkpoints and trains from scratch.
    const again: TrainEvent[] = [];
    await runTfjsEngine(config("ssd-lite"), inputs, { dir, resume: false, onEvent: (e) => again.push(e) });
    expect(again[0]).toMatchObject({ type: "progress", iter: 1 });
  });

  it("starts from another run's final weights (initFrom): an active cycle's cycle_init continue", async () => {
    const data = samples(6);
    const inputs = {
      categoryIds: [5, 6, 7],
      labelled: arraySource(data),
      eval: arraySource(data.slice(0, 2)),
    };
    const weights = (dir: string) => {
      const ckpt = loadLatestCheckpoint(join(dir, "checkpoints"));
      return new Map(ckpt!.params.map((p) => [p.name, Array.from(p.values)]));
    };
    const parent = mkdtempSync(join(tmpdir(), "ls-parent-"));
    await runTfjsEngine(
      config("ssd-lite", { train: { ...config("ssd-lite").train, iterations: 4 } }),
      inputs,
      {
        dir: parent,
        resume: false,
      },
    );
    // At learning rate 0 a run ends with the weights it started from.
    const still = {
      ...config("ssd-lite").train,
      iterations: 2,
      lr: 0,
      optimizer: "sgd" as const,
      weight_decay: 0,
    };
    const fresh = mkdtempSync(join(tmpdir(), "ls-fresh-"));
    await runTfjsEngine(config("ssd-lite", { train: still }), inputs, { dir: fresh, resume: false });
    const child = mkdtempSync(join(tmpdir(), "ls-child-"));
    await runTfjsEngine(config("ssd-lite", { train: still }), inputs, {
      dir: child,
      resume: false,
      initFrom: join(parent, "checkpoints"),
    });
    const [p, f, c] = [weights(parent), weights(fresh), weights(child)];
    expect(c).toEqual(p);
    expect(f.get("head0.w")).toBeDefined();
    expect(f.get("head0.w")).not.toEqual(p.get("head0.w"));
    const none = mkdtempSync(join(tmpdir(), "ls-none-"));
    const err = await runTfjsEngine(config("ssd-lite", { train: still }), inputs, {
      dir: none,
      resume: false,
      initFrom: join(none, "nowhere"),
    }).catch((e: unknown) => e);
    expect(String(err)).toContain("no checkpoint in");
  });

  it("trains mlc-lite and writes one score per image and class", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-mlc-"));
    const data = samples(8).map((s) => ({ ...s, positives: [...new Set(s.classes)] }));
    const out = await runTfjsEngine(
      config("mlc-lite"),
      { categoryIds: [5, 6, 7], labelled: arraySource(data), eval: arraySource(data.slice(0, 2)) },
      { dir, resume: false },
    );
    expect(out.kind).toBe("predictions");
    const results = JSON.parse(readFileSync(join(dir, "predictions.json"), "utf8")) as { score: number }[];
    expect(results).toHaveLength(6);
    expect(results.every((r) => r.score >= 0 && r.score <= 1)).toBe(true);
  });

  // Any method the schema knows that the engine does not train yet (none, once all are built).
  const missing = (Object.keys(METHOD_RULES) as MethodName[]).find((n) => !isTfjsMethod(n));
  it.runIf(missing)("refuses methods that are not built yet", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-missing-"));
    const err = await runTfjsEngine(
      config("ssd-lite", { method: { name: missing! } }),
      { categoryIds: [1], labelled: arraySource(samples(2)), eval: arraySource([]) },
      { dir, resume: false },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotImplementedError);
    expect(existsSync(join(dir, "predictions.json"))).toBe(false);
  });

  it("maps train.epochs to iterations and keeps warm-up inside short runs", () => {
    // 3 × ⌈100 / 16⌉, as the schema says (not ⌈3 · 100 / 16⌉ = 19).
    const c = trainConfig({ epochs: 3, batch: 16 }, 1, { images: 100, perStep: 16 }, "/tmp/x", false);
    expect(c.iterations).toBe(21);
    expect(c.schedule).toMatchObject({ type: "step", steps: [0.667, 0.889], warmup: 10 });
    expect(c.optimizer).toEqual({ kind: "sgd", momentum: 0.9, weightDecay: 5e-4 });
    expect(c.gradClipNorm).toBeUndefined();
    expect(
      trainConfig({ grad_clip_norm: 10 }, 1, { images: 100, perStep: 16 }, "/tmp/x", false).gradClipNorm,
    ).toBe(10);
  });

  it("counts epochs in labelled images per step: a semi-supervised batch's labelled share", () => {
    const train = { epochs: 3, batch: 16, unlabeled_ratio: 1 };
    expect(labelledPerStep(train, "supervised")).toBe(16);
    expect(labelledPerStep(train, "co-mining")).toBe(16);
    expect(labelledPerStep(train, "csd")).toBe(8);
    expect(labelledPerStep({ ...train, unlabeled_ratio: 3 }, "sed")).toBe(4);
    expect(labelledPerStep(train, "csd", false)).toBe(16);
    expect(trainConfig(train, 1, { images: 100, perStep: 8 }, "/tmp/x", false).iterations).toBe(39);
    expect(trainIterations({ iterations: 250, batch: 16 }, 100, 8)).toBe(250);
  });
});

describe("dataset adapter", () => {
  it("reads columnar annotations and RGB bytes into samples, leaving crowd boxes out", async () => {
    const ds: ColumnarDataset = {
      categories: [
        { id: 3, name: "a" },
        { id: 9, name: "b" },
      ],
      images: {
        count: 2,
        ids: [10, 11],
        fileNames: ["x.png", "y.png"],
        widths: Int32Array.from([2, 1]),
        heights: Int32Array.from([1, 1]),
      },
      annotations: {
        categoryIndex: Int32Array.from([1, 0, 0]),
        boxes: Float64Array.from([0, 0, 1, 1, 0, 0, 2, 1, 0, 0, 1, 1]),
        flags: Uint8Array.from([0, 1, 0]),
      },
      byImage: { start: Int32Array.from([0, 2, 3]), order: Int32Array.from([0, 1, 2]) },
    };
    const reads: string[] = [];
    const images = {
      read: async (name: string) => {
        reads.push(name);
        return name === "x.png"
          ? { data: Uint8Array.from([255, 0, 0, 0, 255, 0]), width: 2, height: 1 }
          : { data: Uint8Array.from([0, 0, 51]), width: 1, height: 1 };
      },
    };
    const src = detectionSamples(ds, images);
    const a = await src.get(0);
    expect(a).toMatchObject({ imageId: 10, width: 2, height: 1, boxes: [[0, 0, 1, 1]], classes: [1] });
    expect([...a.image]).toEqual([1, 0, 0, 0, 1, 0]);
    await src.get(0);
    expect(reads).toEqual(["x.png"]); // cached
    const ml = multiLabelSamples(ds, images);
    expect((await ml.get(1)).positives).toEqual([0]);
    expect([...(await ml.get(1)).image].map((v) => Number(v.toFixed(2)))).toEqual([0, 0, 0.2]);
  });
});
