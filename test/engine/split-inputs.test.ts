import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  multiLabelView,
  POSITIVE,
  prepareSplitsForRuns,
  readCocoFile,
  shapesDataset,
} from "../../src/data/index.js";
import { resolveShapesSpec } from "../../src/data/shapes/shapes-spec.js";
import type { MultiLabelSample } from "../../src/engine/samples.js";
import { splitInputs } from "../../src/engine/split-inputs.js";
import { evaluateFiles } from "../../src/eval/run-eval.js";
import type { RunConfig, ShapesDatasetSpec } from "../../src/spec/types.js";

const tmp = await mkdtemp(join(tmpdir(), "ls-spml-inputs-"));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const dataset: ShapesDatasetSpec = {
  name: "shapes",
  seed: 3,
  train_images: 30,
  eval_images: 12,
  image_size: 32,
  classes: 4,
  objects_per_image: [2, 3],
  scale: [0.2, 0.5],
  cooccurrence: { pairs: [[0, 1]], probability: 0.8 },
};

function config(protocol: "single-positive" | "full"): RunConfig {
  return {
    dataset,
    labels: protocol === "full" ? { protocol } : { protocol, fold: 1 },
    detector: { arch: "mlc-lite", width: 8 },
    method: { name: protocol === "full" ? "supervised" : "an" },
    train: {},
    engine: { name: "tfjs" },
    eval: { type: "multilabel" },
    seed: 0,
  } as RunConfig;
}

describe("single-positive inputs of mlc-lite", () => {
  it("train on the multi-label file's observed labels and evaluate on every label of the held-out images", async () => {
    const cfg = config("single-positive");
    const prepared = await prepareSplitsForRuns([cfg], join(tmp, "splits"));
    const files = prepared.filesFor(cfg);
    expect(files.multilabel).toBeDefined();
    const inputs = await splitInputs(cfg, files);
    const truth = shapesDataset(resolveShapesSpec(dataset), "train");
    const full = multiLabelView(truth);
    const k = 4;
    expect(inputs.labelled.size).toBe(30); // every shapes image has a positive
    expect(inputs.observed).toBeDefined();
    const observed = inputs.observed!;
    let positives = 0;
    for (let i = 0; i < inputs.labelled.size; i++) {
      const s = (await inputs.labelled.get(i)) as MultiLabelSample;
      // Exactly one observed positive, always a true one, and the same in the matrix the estimator reads.
      expect(s.positives).toHaveLength(1);
      const row = Array.from(truth.images.ids).indexOf(s.imageId as number);
      expect(full.labels[row * k + s.positives[0]!]).toBe(POSITIVE);
      expect(Array.from(observed.labels.subarray(i * k, i * k + k))).toEqual(
        Array.from({ length: k }, (_, c) => (c === s.positives[0] ? 1 : 0)),
      );
      for (let c = 0; c < k; c++) if (full.labels[row * k + c] === POSITIVE) positives++;
    }
    // k of EPR from the ground truth: the true mean number of positive classes per training image.
    expect(observed.meanPositives).toBeCloseTo(positives / 30, 12);
    expect(observed.meanPositives).toBeGreaterThan(1.5);
    const file = JSON.parse(await readFile(files.multilabel!, "utf8"));
    expect(file.mean_positives_per_image).toBe(observed.meanPositives);

    // Evaluation: the held-out images with all their labels (not single positives).
    const evalTruth = shapesDataset(resolveShapesSpec(dataset), "eval");
    const evalFull = multiLabelView(evalTruth);
    const evalDs = await readCocoFile(files.eval_annotations!);
    expect(evalDs.images.count).toBe(12);
    const scores = Array.from({ length: 12 }, (_, i) =>
      Array.from({ length: k }, (_, c) => ({
        image_id: evalTruth.images.ids[i]!,
        category_id: evalTruth.categories[c]!.id,
        score: evalFull.labels[i * k + c] === POSITIVE ? 0.9 : 0.1,
      })),
    ).flat();
    const dt = join(tmp, "perfect.json");
    await writeFile(dt, JSON.stringify(scores));
    const report = evaluateFiles({ type: "multilabel" }, files.eval_annotations!, dt);
    expect(report.metrics.mAP).toBe(1);
    expect(report.counts?.positives).toBe(evalFull.labels.filter((v) => v === POSITIVE).length);
    expect(report.counts?.positives).toBeGreaterThan(12 * 1.5);
  });

  it("full labels keep reading the detection file (every class of every image)", async () => {
    const cfg = config("full");
    const prepared = await prepareSplitsForRuns([cfg], join(tmp, "splits"));
    const files = prepared.filesFor(cfg);
    expect(files.multilabel).toBeUndefined();
    const inputs = await splitInputs(cfg, files);
    expect(inputs.observed).toBeUndefined();
    const counts = await Promise.all(
      Array.from(
        { length: inputs.labelled.size },
        async (_, i) => ((await inputs.labelled.get(i)) as MultiLabelSample).positives.length,
      ),
    );
    expect(Math.max(...counts)).toBeGreaterThan(1);
  });
});
