import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../../src/engine/backend.js";
import { loadMethod } from "../../../src/engine/methods/registry.js";
import type { MethodData } from "../../../src/engine/methods/types.js";
import { createModel } from "../../../src/engine/models.js";
import { Rng } from "../../../src/engine/nn/rng.js";
import { predictDetections } from "../../../src/engine/predict.js";
import { runTfjsEngine } from "../../../src/engine/run-tfjs.js";
import { arraySource, type DetectionSample, type ImageMeta } from "../../../src/engine/samples.js";
import type { AuxChannels } from "../../../src/engine/train/detection-task.js";
import { type TrainEvent, train } from "../../../src/engine/train/loop.js";
import type { JsonObject, RunConfig } from "../../../src/spec/types.js";
import { scene } from "../synthetic.js";

// Both methods train through the method contract and the one loop on tiny
// in-memory scenes: resume is bit-exact, RichSem's semantic head never touches
// predictions, and RichSem with every addition off is the supervised run.

const S = 32;
const K = 3;

function samples(n: number, seed: number): DetectionSample[] {
  return Array.from({ length: n }, (_, i) => {
    const s = scene(seed + i, S, K, 3);
    return { imageId: seed + i, width: S, height: S, image: s.image, boxes: s.boxes, classes: s.classes };
  });
}

/** Object-centric extra images: one whole-image coarse box of the first object's class. */
function extras(n: number): DetectionSample[] {
  return samples(n, 500).map((s) => ({
    ...s,
    imageId: 1e9 + Number(s.imageId),
    boxes: [[0, 0, S, S]],
    classes: [s.classes[0]!],
  }));
}

/** Coverage maps of the synthetic scenes (their boxes are solid rectangles): one channel per class. */
function coverageOf(all: DetectionSample[]): AuxChannels {
  const byId = new Map(all.map((s) => [s.imageId, s]));
  return {
    channels: K,
    of: (meta: ImageMeta) => {
      const s = byId.get(meta.imageId)!;
      const out = new Float32Array(S * S * K);
      s.boxes.forEach((b, j) => {
        if (b[2] === S && b[3] === S) return; // a coarse box is not an object
        for (let y = b[1]!; y < b[1]! + b[3]!; y++)
          for (let x = b[0]!; x < b[0]! + b[2]!; x++) out[(y * S + x) * K + s.classes[j]!] = 1;
      });
      return out;
    },
  };
}

function config(method: JsonObject, extra: Partial<RunConfig> = {}): RunConfig {
  return {
    dataset: { name: "shapes", image_size: S },
    labels: { protocol: "full" },
    detector: {
      arch: "retinanet-lite",
      width: 4,
      levels: 3,
      classifier: "embedding",
      embedding_dim: 8,
      logit_scale: 10,
    },
    method: method as RunConfig["method"],
    train: {
      iterations: 6,
      batch: 2,
      lr: 0.005,
      optimizer: "adam",
      schedule: { type: "constant", warmup: 0 },
      checkpoint_every: 100,
    },
    engine: { name: "tfjs", backend: "wasm" },
    eval: { type: "lvis" },
    seed: 4,
    ...extra,
  } as RunConfig;
}

const labelled = samples(6, 1);
const extra = extras(6);
const data = {
  labelled: arraySource(labelled),
  extra: arraySource(extra),
  classCoverage: coverageOf([...labelled, ...extra]),
};
const inputs = { ...data, categoryIds: [1, 2, 3], eval: arraySource(samples(3, 100)) };

const RICHSEM_CLASSIFIER = {
  name: "richsem",
  teacher: "classifier",
  embeddings: "teacher",
  teacher_iterations: 3,
  teacher_batch: 4,
  teacher_crop: 16,
  teacher_width: 4,
  repeat_factor_threshold: 0.9,
};
const RICHSEM_ORACLE = {
  name: "richsem",
  teacher: "oracle",
  embeddings: "orthogonal",
  teacher_temperature: 2,
  repeat_factor_threshold: 0.9,
};
const CO_MINING = { name: "co-mining", pseudo_score_threshold: 0.005, max_pseudo: 5 };

beforeAll(async () => {
  await selectBackend("wasm");
});

async function predictionsOf(
  method: JsonObject,
  stopAt?: number,
): Promise<{ text: string; weights: Buffer; events: TrainEvent[]; method: JsonObject }> {
  const dir = mkdtempSync(join(tmpdir(), "ls-method-"));
  const cfg = config(
    method,
    method.name === "co-mining" ? { detector: { arch: "retinanet-lite", width: 4, levels: 3 } } : {},
  );
  const events: TrainEvent[] = [];
  if (stopAt !== undefined) {
    const stop = new AbortController();
    const first = await runTfjsEngine(cfg, inputs, {
      dir,
      resume: false,
      signal: stop.signal,
      onEvent: (e) => {
        if (e.type === "progress" && e.iter === stopAt) stop.abort();
      },
    });
    expect(first.kind).toBe("stopped");
  }
  const out = await runTfjsEngine(cfg, inputs, {
    dir,
    resume: stopAt !== undefined,
    onEvent: (e) => events.push(e),
  });
  expect(out.kind).toBe("predictions");
  if (out.kind !== "predictions") throw new Error("no predictions");
  // The final checkpoint's blob: every parameter, optimiser slot and hook array, bit for bit.
  const weights = readFileSync(join(dir, "checkpoints", "ckpt-00000006.bin"));
  return { text: readFileSync(out.file, "utf8"), weights, events, method: out.method };
}

describe("Co-mining and RichSem train and resume bit-exactly", () => {
  it.each([
    ["co-mining", CO_MINING],
    ["richsem, classifier teacher", RICHSEM_CLASSIFIER],
    ["richsem, oracle teacher", RICHSEM_ORACLE],
  ])(
    "%s: stopped at 3 and resumed = uninterrupted",
    async (_name, method) => {
      const whole = await predictionsOf(method);
      const resumed = await predictionsOf(method, 3);
      expect(resumed.events[0]).toMatchObject({ type: "resume", iter: 3 });
      expect(resumed.weights.equals(whole.weights)).toBe(true);
      expect(resumed.text).toBe(whole.text);
      const terms = whole.events.filter((e) => e.type === "progress").map((e) => Object.keys(e));
      if (method.name === "co-mining") expect(terms[0]).toContain("loss_cls_aug");
      else {
        expect(terms[0]).toContain("loss_distill");
        expect(whole.method).toMatchObject({
          teacher: (method as JsonObject).teacher,
          semantic_head: true,
          extra_ratio: 1,
        });
      }
    },
    240_000,
  );
});

describe("RichSem's semantic head at inference", () => {
  it("is trained, and predictions are identical with and without it", async () => {
    const cfg = config(RICHSEM_ORACLE);
    const built = createModel(cfg.detector, K, S);
    if (built.kind !== "detector") throw new Error("detector expected");
    const params = built.model.createParams(new Rng(cfg.seed));
    const module = await loadMethod("richsem");
    const setup = await module.create({
      config: cfg,
      model: built,
      params,
      data: data as MethodData,
      seed: 4,
      iterations: 4,
    });
    const events: TrainEvent[] = [];
    await train(setup.task, { iterations: 4, lr: 0.01, optimizer: { kind: "adam" }, seed: 4 }, setup.hooks, {
      onEvent: (e) => events.push(e),
    });
    const head = [...params.vars.keys()].filter((n) => n.startsWith("semantic."));
    expect(head.length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === "progress" && (e.loss_distill as number) > 0)).toBe(true);
    const opts = { categoryIds: [1, 2, 3] };
    const evalSource = arraySource(samples(4, 200));
    const before = await predictDetections(built.model, params, evalSource, opts);
    // Scrambling the head changes nothing; removing it changes nothing.
    for (const n of head) params.get(n).assign(params.get(n).mul(-3));
    expect(await predictDetections(built.model, params, evalSource, opts)).toEqual(before);
    for (const n of head) {
      params.get(n).dispose();
      params.vars.delete(n);
    }
    expect(await predictDetections(built.model, params, evalSource, opts)).toEqual(before);
    expect(before.length).toBeGreaterThan(0);
    setup.dispose?.();
    params.dispose();
  }, 240_000);

  it("with no head, no extra data, no repeat factors and random embeddings it is the supervised run", async () => {
    const off = {
      name: "richsem",
      distill_weight: 0,
      extra_ratio: 0,
      repeat_factor_threshold: null,
      embeddings: "random",
      teacher: "oracle",
    };
    const a = await predictionsOf(off);
    const b = await predictionsOf({ name: "supervised" });
    expect(a.text).toBe(b.text);
    expect(a.method).toMatchObject({ semantic_head: false, extra_ratio: 0, repeat_factor_threshold: null });
  }, 240_000);
});
