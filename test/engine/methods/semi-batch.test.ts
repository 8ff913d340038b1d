import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { prepareSplitsForRuns, resolveShapesSpec, shapesDataset } from "../../../src/data/index.js";
import { selectBackend } from "../../../src/engine/backend.js";
import { SSD_LITE_DEFAULTS, SsdLite } from "../../../src/engine/detect/ssd-lite.js";
import { batchSplit, SemiBatchComposer } from "../../../src/engine/methods/shared/semi-batch.js";
import { runTfjsEngine } from "../../../src/engine/run-tfjs.js";
import { arraySource, type DetectionSample } from "../../../src/engine/samples.js";
import { splitInputs } from "../../../src/engine/split-inputs.js";
import type { RunConfig, ShapesDatasetSpec } from "../../../src/spec/types.js";
import { scene } from "../synthetic.js";

// The semi-supervised batch composer: the labelled / unlabelled split of a
// batch, streams that depend only on (seed, iteration), a strong view that
// keeps the weak view's geometry, and unlabelled images whose annotations
// never reach training — down to the split's unlabelled file.

beforeAll(async () => {
  await selectBackend("wasm");
});

const S = 32;
const det = new SsdLite({
  ...SSD_LITE_DEFAULTS,
  numClasses: 3,
  imageSize: S,
  backbone: { width: 4, levels: 3 },
});
const items = (n: number, offset: number): DetectionSample[] =>
  Array.from({ length: n }, (_, i) => {
    const s = scene(offset + i, S, 3);
    return { imageId: offset + i, width: S, height: S, image: s.image, boxes: s.boxes, classes: s.classes };
  });

describe("semi-supervised batch composer", () => {
  it("splits a batch at train.unlabeled_ratio: round(B·r/(1+r)) unlabelled, at least one of each", () => {
    expect(batchSplit(16, 1)).toEqual({ labelled: 8, unlabelled: 8 });
    expect(batchSplit(32, 2.3)).toEqual({ labelled: 10, unlabelled: 22 }); // CSD's VOC07 + VOC12 mix
    expect(batchSplit(4, 0.2)).toEqual({ labelled: 3, unlabelled: 1 });
    expect(batchSplit(4, 100)).toEqual({ labelled: 1, unlabelled: 3 });
    expect(batchSplit(8, 0)).toEqual({ labelled: 8, unlabelled: 0 });
    expect(batchSplit(1, 1)).toEqual({ labelled: 1, unlabelled: 0 });
  });

  it("draws from both pools in seeded epochs, all labelled during the warm-up, the same at every call", async () => {
    const composer = new SemiBatchComposer(det, arraySource(items(5, 0)), arraySource(items(7, 50)), {
      batchSize: 4,
      unlabeledRatio: 1,
      warmupIterations: 2,
      augment: { flip: true },
      strong: true,
      seed: 9,
    });
    const steps = Array.from({ length: 8 }, (_, i) => composer.indices(i));
    expect(steps[0]!.labelled).toHaveLength(4);
    expect(steps[1]!.unlabelled).toEqual([]);
    expect(steps[2]!.labelled).toHaveLength(2);
    expect(steps[2]!.unlabelled).toHaveLength(2);
    // The labelled stream continues where the warm-up left it: every image once per epoch of 5.
    const labelled = steps.flatMap((s) => s.labelled);
    expect(new Set(labelled.slice(0, 5)).size).toBe(5);
    expect(new Set(labelled.slice(5, 10)).size).toBe(5);
    const unlabelled = steps.flatMap((s) => s.unlabelled);
    expect(new Set(unlabelled.slice(0, 7)).size).toBe(7);
    expect(composer.indices(5)).toEqual(steps[5]);

    const a = await composer.next(3);
    const b = await composer.next(3);
    expect(a.warmup).toBe(false);
    expect(a.unlabelled!.metas.map((m) => m.imageId)).toEqual(steps[3]!.unlabelled.map((i) => 50 + i));
    expect(Array.from(a.unlabelled!.weak.dataSync())).toEqual(Array.from(b.unlabelled!.weak.dataSync()));
    expect(Array.from(a.unlabelled!.strong!.dataSync())).toEqual(
      Array.from(b.unlabelled!.strong!.dataSync()),
    );
    // The strong view changes pixels, not geometry: same shape, in range, different values.
    const strong = a.unlabelled!.strong!;
    expect(strong.shape).toEqual([2, S, S, 3]);
    expect(Math.min(...strong.dataSync())).toBeGreaterThanOrEqual(0);
    expect(Math.max(...strong.dataSync())).toBeLessThanOrEqual(1);
    expect(Array.from(strong.dataSync())).not.toEqual(Array.from(a.unlabelled!.weak.dataSync()));
    const w = await composer.next(1);
    expect([w.warmup, w.unlabelled, w.labelled.images.shape[0]]).toEqual([true, null, 4]);
    for (const x of [a, b, w]) composer.dispose(x);
  });

  it("refuses to start without unlabelled images", () => {
    expect(
      () =>
        new SemiBatchComposer(det, arraySource(items(2, 0)), arraySource([]), {
          batchSize: 2,
          unlabeledRatio: 1,
          warmupIterations: 0,
          augment: {},
          seed: 1,
        }),
    ).toThrow(/needs unlabelled training images/);
  });
});

describe("unlabelled annotations never reach training", () => {
  it("a split's unlabelled file with every box filled in, or scrambled, trains to bit-identical losses", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-unl-"));
    const dataset: ShapesDatasetSpec = {
      name: "shapes",
      seed: 4,
      train_images: 20,
      eval_images: 4,
      image_size: S,
      classes: 3,
      objects_per_image: [1, 3],
      scale: [0.25, 0.7],
    } as ShapesDatasetSpec;
    const labels = { protocol: "budget", fraction: 0.3, fold: 1 } as const;
    const prepared = await prepareSplitsForRuns([{ dataset, labels }], join(dir, "cache"));
    const files = prepared.filesFor({ dataset, labels });
    const original = JSON.parse(readFileSync(files.unlabeled!, "utf8")) as {
      images: { id: number; file_name: string }[];
      categories: { id: number }[];
      annotations: unknown[];
    };
    expect(original.annotations).toEqual([]);
    expect(original.images.length).toBe(14);
    // The true boxes of those images (from the full ground truth), then the same boxes moved and relabelled.
    const truth = shapesDataset(resolveShapesSpec(dataset), "train");
    const byId = new Map(truth.images.ids.map((id, i) => [id, i]));
    const cats = original.categories.map((c) => c.id);
    const withBoxes = (scramble: boolean) => {
      let id = 1;
      const annotations = original.images.flatMap((img) => {
        const i = byId.get(img.id)!;
        const out = [];
        for (let j = truth.byImage.start[i]!; j < truth.byImage.start[i + 1]!; j++) {
          const a = truth.byImage.order[j]!;
          const [x, y, w, h] = Array.from(truth.annotations.boxes.subarray(4 * a, 4 * a + 4));
          const c = truth.annotations.categoryIndex[a]!;
          const bbox = scramble ? [(x! + 11) % 20, (y! + 5) % 20, h!, w!] : [x, y, w, h];
          out.push({
            id: id++,
            image_id: img.id,
            category_id: cats[scramble ? (c + 1) % 3 : c],
            bbox,
            area: w! * h!,
            iscrowd: 0,
          });
        }
        return out;
      });
      const path = join(dir, scramble ? "scrambled.json" : "true-boxes.json");
      writeFileSync(path, JSON.stringify({ ...original, annotations }));
      return path;
    };
    const variants = [files.unlabeled!, withBoxes(false), withBoxes(true)];
    for (const method of [
      { name: "csd", supervised_warmup: false },
      { name: "mean-teacher", burn_in: 0.25, threshold: 0.05 },
    ]) {
      const config = {
        dataset,
        labels,
        detector: { arch: "ssd-lite", width: 4, levels: 3 },
        method,
        train: {
          iterations: 4,
          batch: 4,
          lr: 0.005,
          unlabeled_ratio: 1,
          schedule: { type: "constant", warmup: 0 },
        },
        engine: { name: "tfjs", backend: "wasm" },
        eval: { type: "coco" },
        seed: 1,
      } as unknown as RunConfig;
      const losses: number[][] = [];
      for (const unlabeled of variants) {
        const inputs = await splitInputs(config, { ...files, unlabeled });
        expect(inputs.unlabelled!.size).toBe(14);
        const seen: number[] = [];
        await runTfjsEngine(config, inputs, {
          dir: mkdtempSync(join(dir, "run-")),
          resume: false,
          onEvent: (e) => {
            if (e.type === "progress") seen.push(e.loss);
          },
        });
        losses.push(seen);
      }
      expect(losses[0]).toHaveLength(4);
      expect(losses[1]).toEqual(losses[0]);
      expect(losses[2]).toEqual(losses[0]);
    }
  }, 240_000);
});
