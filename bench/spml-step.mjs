// Training-step time of the single-positive methods (AN, ROLE, Scob) on the
// same mlc-lite model and batch, relative to AN, measured side by side in one
// run: rounds interleave the methods so machine load hits all of them alike.
//
//   npm run build && node bench/spml-step.mjs [--steps 20] [--warmup 3] [--rounds 3]
//       [--size 64] [--batch 16] [--width 16] [--dim 64] [--classes 8] [--json out.json]
//
// Each measurement is the loop's own per-iteration time (batch composition,
// every forward/backward and optimiser step of the iteration, hook work),
// median over the steps after warm-up, then median over rounds. Images are
// the built-in `shapes` dataset (so Scob's CAM masks are real and its
// contrastive step runs); the observed label is each image's first class.

import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { imageSource, resolveShapesSpec, shapesDataset } from "../dist/data/index.js";
import { selectBackend } from "../dist/engine/backend.js";
import { multiLabelSamples } from "../dist/engine/dataset-samples.js";
import { loadMethod } from "../dist/engine/methods/registry.js";
import { createModel } from "../dist/engine/models.js";
import { Rng } from "../dist/engine/nn/rng.js";
import { train } from "../dist/engine/train/loop.js";

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const steps = Number(arg("steps", "20"));
const warmup = Number(arg("warmup", "3"));
const rounds = Number(arg("rounds", "3"));
const size = Number(arg("size", "64"));
const batch = Number(arg("batch", "16"));
const width = Number(arg("width", "16"));
const dim = Number(arg("dim", "64"));
const classes = Number(arg("classes", "8"));

const METHODS = [
  { label: "an", method: { name: "an" } },
  { label: "role", method: { name: "role" } },
  { label: "scob (cam)", method: { name: "scob" } },
  { label: "scob (gradcam)", method: { name: "scob", cam: "gradcam" } },
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const backend = await selectBackend("wasm", { threads: 1 });
const spec = resolveShapesSpec({
  name: "shapes",
  seed: 0,
  train_images: 128,
  eval_images: 0,
  image_size: size,
  classes,
  objects_per_image: [2, 4],
  scale: [0.15, 0.5],
  cooccurrence: {
    pairs: [
      [0, 1],
      [2, 3],
      [4, 5],
    ],
    probability: 0.8,
  },
});
const ds = shapesDataset(spec, "train");
const pixels = multiLabelSamples(ds, imageSource({ kind: "shapes", spec }));
const n = pixels.size;
const first = [];
for (let i = 0; i < n; i++) first.push((await pixels.get(i)).positives[0]);
const labels = new Int8Array(n * classes);
first.forEach((c, i) => {
  labels[i * classes + c] = 1;
});
const labelled = {
  size: n,
  get: async (i) => ({ ...(await pixels.get(i)), positives: [first[i]] }),
};
const observed = { numClasses: classes, labels, meanPositives: 2.5 };

async function measure(method) {
  const config = {
    dataset: { name: "shapes", image_size: size },
    labels: { protocol: "single-positive" },
    detector: { arch: "mlc-lite", width, feature_dim: dim },
    method,
    train: { iterations: warmup + steps, batch, lr: 0.001, optimizer: "adam", weight_decay: 0 },
    engine: { name: "tfjs", backend: "wasm" },
    eval: { type: "multilabel" },
    seed: 0,
  };
  const built = createModel(config.detector, classes, size);
  const params = built.model.createParams(new Rng(0));
  const module = await loadMethod(method.name);
  const setup = await module.create({
    config,
    model: built,
    params,
    data: { labelled, observed },
    seed: 0,
    iterations: warmup + steps,
  });
  const ms = [];
  let contrastive = 0;
  await train(
    setup.task,
    {
      iterations: warmup + steps,
      lr: 0.001,
      optimizer: { kind: "adam", groups: setup.optimizerGroups },
      seed: 0,
      handleSigterm: false,
    },
    setup.hooks,
    {
      onEvent: (e) => {
        if (e.type !== "progress" || e.iter <= warmup) return;
        ms.push(e.ms);
        if (typeof e.loss_cl === "number") contrastive++;
      },
    },
  );
  setup.dispose?.();
  params.dispose();
  return { ms: median(ms), contrastive };
}

const results = Object.fromEntries(METHODS.map((m) => [m.label, { ms: [], contrastive: 0 }]));
for (let r = 0; r < rounds; r++) {
  for (const m of METHODS) {
    const out = await measure(m.method);
    results[m.label].ms.push(out.ms);
    results[m.label].contrastive += out.contrastive;
    process.stderr.write(`round ${r + 1}/${rounds} ${m.label}: ${out.ms.toFixed(1)} ms/step\n`);
  }
}

const an = median(results.an.ms);
console.log(
  `single-positive training step on ${backend.name} (1 thread), mlc-lite width ${width} dim ${dim}, ` +
    `${size}×${size} px, batch ${batch}, ${classes} classes; median of ${steps} steps × ${rounds} rounds; ` +
    `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`,
);
console.log("| method | ms / step | × AN | steps with a contrastive update |");
console.log("|---|---:|---:|---:|");
const rows = [];
for (const m of METHODS) {
  const r = results[m.label];
  const t = median(r.ms);
  const share = m.method.name === "scob" ? `${r.contrastive} / ${steps * rounds}` : "—";
  rows.push({ method: m.label, ms: t, ratio: t / an, contrastive: r.contrastive, steps: steps * rounds });
  console.log(`| ${m.label} | ${t.toFixed(1)} | ${(t / an).toFixed(2)} | ${share} |`);
}
const out = arg("json", null);
if (out)
  writeFileSync(
    out,
    `${JSON.stringify({ size, batch, width, dim, classes, steps, rounds, rows }, null, 2)}\n`,
  );
