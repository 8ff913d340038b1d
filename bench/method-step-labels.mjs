// Training-step time of each method relative to supervised training of the
// same detector on the same batch, measured side by side in one process
// (rounds interleave the configurations, so machine load hits all alike).
// Every configuration runs the real method plug-in through the one training
// loop on `shapes` images (64×64, batch 16, retinanet-lite width 16).
//
//   npm run build && node bench/method-step-labels.mjs [--steps 10] [--rounds 3] [--json out.json]
//
// Co-mining is compared with supervised retinanet-lite (linear classifier);
// RichSem with supervised retinanet-lite with the same class-embedding
// classifier. RichSem alternates detection and mosaic batches, so its figure
// is the mean over an even number of steps (both kinds); the region-classifier
// teacher's one-off training is timed apart (it is not a per-step cost).

import { writeFileSync } from "node:fs";
import { imageSource, resolveShapesSpec, ShapesImages, shapesDataset } from "../dist/data/index.js";
import { shapesExtraDataset } from "../dist/data/shapes/shapes-dataset.js";
import { selectBackend } from "../dist/engine/backend.js";
import { detectionSamples } from "../dist/engine/dataset-samples.js";
import { loadMethod } from "../dist/engine/methods/registry.js";
import { createModel } from "../dist/engine/models.js";
import { Rng } from "../dist/engine/nn/rng.js";
import { train } from "../dist/engine/train/loop.js";

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const steps = Number(arg("steps", "10"));
const rounds = Number(arg("rounds", "3"));
const jsonOut = arg("json", undefined);
if (steps % 2) throw new Error("--steps must be even (RichSem alternates two kinds of batch)");

await selectBackend("wasm", { threads: 1 });

const spec = resolveShapesSpec({
  name: "shapes",
  seed: 0,
  train_images: 128,
  eval_images: 1,
  image_size: 64,
  classes: 8,
  class_frequency: { zipf: 1.2 },
  objects_per_image: [2, 5],
  scale: [0.1, 0.5],
});
const images = imageSource({ kind: "shapes", spec });
const train0 = shapesDataset(spec, "train");
const extraDs = shapesExtraDataset(spec, 128, "all");
const labelled = detectionSamples(train0, images);
const extra = detectionSamples(extraDs, images);
const files = new Map();
for (const ds of [train0, extraDs]) {
  ds.images.ids.forEach((id, i) => {
    files.set(id, ds.images.fileNames[i]);
  });
}
const shapes = new ShapesImages(spec);
const classCoverage = { channels: spec.classes.length, of: (m) => shapes.coverage(files.get(m.imageId)) };

const LINEAR = { arch: "retinanet-lite", width: 16, levels: 3 };
const EMBEDDING = { ...LINEAR, classifier: "embedding", embedding_dim: 32, logit_scale: 20 };
const CONFIGS = [
  { label: "supervised (linear classifier)", detector: LINEAR, method: { name: "supervised" } },
  {
    label: "co-mining",
    detector: LINEAR,
    method: { name: "co-mining", pseudo_score_threshold: 0.5 },
    base: 0,
  },
  { label: "supervised (embedding classifier)", detector: EMBEDDING, method: { name: "supervised" } },
  {
    label: "richsem, extra data, no semantic head",
    detector: EMBEDDING,
    method: {
      name: "richsem",
      distill_weight: 0,
      embeddings: "orthogonal",
      teacher: "oracle",
      repeat_factor_threshold: 0.05,
    },
    base: 2,
  },
  {
    label: "richsem, oracle teacher",
    detector: EMBEDDING,
    method: { name: "richsem", teacher: "oracle", embeddings: "orthogonal", repeat_factor_threshold: 0.05 },
    base: 2,
  },
  {
    label: "richsem, classifier teacher",
    detector: EMBEDDING,
    method: {
      name: "richsem",
      teacher: "classifier",
      embeddings: "teacher",
      teacher_iterations: 100,
      repeat_factor_threshold: 0.05,
    },
    base: 2,
  },
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One configuration: build, run the method's setup (teacher training included, timed apart), then time `steps` steps after 2 warm-up steps. */
async function measure(c) {
  const built = createModel(c.detector, spec.classes.length, 64);
  const params = built.model.createParams(new Rng(1));
  const config = {
    dataset: { name: "shapes" },
    labels: { protocol: "full" },
    detector: c.detector,
    method: c.method,
    train: { batch: 16, augment: { flip: true } },
    engine: { name: "tfjs" },
    eval: { type: "coco" },
    seed: 1,
  };
  const module = await loadMethod(c.method.name);
  const setup = await module.create({
    config,
    model: built,
    params,
    data: { labelled, extra, classCoverage },
    seed: 1,
    iterations: steps + 2,
  });
  let setupMs = 0;
  const timing = {
    name: "bench-timing",
    beforeRun: () => {
      setupMs = performance.now();
    },
  };
  const ms = [];
  const t0 = performance.now();
  await train(
    setup.task,
    {
      iterations: steps + 2,
      lr: 0.005,
      optimizer: { kind: "sgd", momentum: 0.9 },
      seed: 1,
      handleSigterm: false,
    },
    // The method's hooks first (a teacher trains in beforeRun), then the clock starts.
    [...setup.hooks, timing],
    { onEvent: (e) => e.type === "progress" && e.iter > 2 && ms.push(e.ms) },
  );
  setup.dispose?.();
  params.dispose();
  return { ms, setupMs: setupMs - t0 };
}

const samples = new Map(CONFIGS.map((c) => [c.label, []]));
const setups = new Map(CONFIGS.map((c) => [c.label, []]));
for (let r = 0; r < rounds; r++) {
  for (const c of CONFIGS) {
    const res = await measure(c);
    const mean = res.ms.reduce((a, b) => a + b, 0) / res.ms.length;
    samples.get(c.label).push(mean);
    setups.get(c.label).push(res.setupMs);
    process.stderr.write(`round ${r + 1}/${rounds}  ${c.label}: ${mean.toFixed(1)} ms/step\n`);
  }
}

console.log(
  "\nretinanet-lite width 16, FPN 64, batch 16, 64×64 shapes (8 classes), wasm, 1 thread; " +
    `mean over ${steps} steps after 2 warm-up steps, median of ${rounds} rounds`,
);
console.log(`${"method".padEnd(42)} ${"ms/step".padStart(9)}  ${"× supervised".padStart(13)}  one-off setup`);
const rows = CONFIGS.map((c) => {
  const ms = median(samples.get(c.label));
  const base = c.base === undefined ? null : median(samples.get(CONFIGS[c.base].label));
  const setupMs = median(setups.get(c.label));
  const ratio = base ? ms / base : 1;
  console.log(
    `${c.label.padEnd(42)} ${ms.toFixed(1).padStart(9)}  ${`${ratio.toFixed(2)}×`.padStart(13)}  ${setupMs > 50 ? `${(setupMs / 1000).toFixed(1)} s` : ""}`,
  );
  return {
    method: c.label,
    msPerStep: ms,
    ratioToSupervised: ratio,
    setupMs,
    baseline: base === null ? null : CONFIGS[c.base].label,
  };
});
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ steps, rounds, rows }, null, 2)}\n`);
