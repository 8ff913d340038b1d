// Training-step time of each method relative to `supervised` on the same
// detector and the same batch (train.batch images per step; a semi-supervised
// method splits them into labelled and unlabelled images at
// train.unlabeled_ratio), measured side by side in one process: rounds
// interleave the methods so machine load hits all of them alike. A step is
// what the engine's loop runs — the method's batch composer (loading,
// augmentation, anchor targets, teacher passes), its losses in the gradient
// tape, the backward pass, the optimiser and the method's hooks (EMA update).
// Warm-ups and burn-ins are off, so every timed step is a full step of the
// method.
//
//   npm run build && node bench/method-step.mjs [--steps 8] [--rounds 3] [--batch 16]
//       [--size 64] [--width 16] [--detectors ssd-lite,retinanet-lite] [--json out.json]

import { writeFileSync } from "node:fs";
import { selectBackend } from "../dist/engine/backend.js";
import { loadMethod } from "../dist/engine/methods/registry.js";
import { createModel } from "../dist/engine/models.js";
import { Rng } from "../dist/engine/nn/rng.js";
import { arraySource } from "../dist/engine/samples.js";
import { train } from "../dist/engine/train/loop.js";

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const steps = Number(arg("steps", "8"));
const rounds = Number(arg("rounds", "3"));
const batch = Number(arg("batch", "16"));
const size = Number(arg("size", "64"));
const width = Number(arg("width", "16"));
const detectors = arg("detectors", "ssd-lite,retinanet-lite").split(",");
const CLASSES = 4;

/** Methods per detector, with their options set so that every step is a full step (no warm-up, no burn-in). */
const METHODS = {
  "ssd-lite": [
    { name: "supervised" },
    { name: "csd", supervised_warmup: false, ramp_up: 0 },
    { name: "mean-teacher", burn_in: 0, threshold: 0.5 },
    { name: "pseudo-label", mode: "online", burn_in: 0, threshold: 0.5 },
  ],
  "retinanet-lite": [
    { name: "supervised" },
    { name: "csd", supervised_warmup: false, ramp_up: 0 },
    { name: "sed", burn_in: 0 },
    { name: "sed", burn_in: 0, cross_scale: false },
    { name: "mean-teacher", burn_in: 0, threshold: 0.5 },
    { name: "pseudo-label", mode: "online", burn_in: 0, threshold: 0.5 },
  ],
};

/** Noise images with 1–3 solid rectangles each (the cost of a step does not depend on what they show). */
function samples(n, seed) {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const image = new Float32Array(size * size * 3);
    for (let k = 0; k < image.length; k++) image[k] = 0.2 * rng.next();
    const boxes = [];
    const classes = [];
    for (let j = 0; j < 1 + rng.int(3); j++) {
      const w = Math.round(rng.uniform(0.1, 0.6) * size);
      const h = Math.round(rng.uniform(0.1, 0.6) * size);
      const x = rng.int(size - w);
      const y = rng.int(size - h);
      const c = rng.int(CLASSES);
      for (let yy = y; yy < y + h; yy++)
        for (let xx = x; xx < x + w; xx++)
          image.fill(0.3 + 0.2 * c, 3 * (yy * size + xx), 3 * (yy * size + xx) + 3);
      boxes.push([x, y, w, h]);
      classes.push(c);
    }
    return { imageId: i, width: size, height: size, image, boxes, classes };
  });
}

const label = (m) =>
  Object.entries(m)
    .filter(([k]) => !["supervised_warmup", "ramp_up", "burn_in", "threshold"].includes(k))
    .map(([k, v]) => (k === "name" ? v : `${k}=${v}`))
    .join(" ");

const labelled = arraySource(samples(64, 1));
const unlabelled = arraySource(samples(64, 2));

async function timeSteps(arch, method) {
  const config = {
    dataset: { name: "shapes", image_size: size },
    labels: { protocol: "budget", fraction: 0.5 },
    detector: { arch, width, levels: 3 },
    method,
    train: { iterations: steps + 2, batch, lr: 0.005, unlabeled_ratio: 1 },
    engine: { name: "tfjs", backend: "wasm" },
    eval: { type: "coco" },
    seed: 1,
  };
  const built = createModel(config.detector, CLASSES, size);
  const params = built.model.createParams(new Rng(1));
  const setup = await (await loadMethod(method.name)).create({
    config,
    model: built,
    params,
    data: { labelled, unlabelled },
    seed: 1,
    iterations: steps + 2,
  });
  const ms = [];
  await train(
    setup.task,
    {
      iterations: steps + 2,
      lr: 0.005,
      optimizer: { kind: "sgd", momentum: 0.9, weightDecay: 5e-4 },
      seed: 1,
      handleSigterm: false,
    },
    setup.hooks,
    { onEvent: (e) => e.type === "progress" && e.iter > 2 && ms.push(e.ms) },
  );
  setup.dispose?.();
  params.dispose();
  return ms;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const backend = await selectBackend("wasm", { threads: 1 });
const times = new Map();
for (let r = 0; r < rounds; r++) {
  for (const arch of detectors) {
    for (const method of METHODS[arch]) {
      const key = `${arch}\u0000${label(method)}`;
      times.set(key, [...(times.get(key) ?? []), ...(await timeSteps(arch, method))]);
    }
  }
}

console.log(
  `backend ${backend.name}, 1 thread; batch ${batch} images (semi-supervised: ${batch / 2} labelled + ${batch / 2} unlabelled), ${size}×${size}, width ${width}, 3 levels; median of ${steps} steps × ${rounds} rounds`,
);
console.log("| detector | method | ms / step | × supervised |");
console.log("|---|---|---:|---:|");
const rows = [];
for (const arch of detectors) {
  const base = median(times.get(`${arch}\u0000supervised`));
  for (const method of METHODS[arch]) {
    const m = median(times.get(`${arch}\u0000${label(method)}`));
    rows.push({ detector: arch, method: label(method), msPerStep: m, ratio: m / base });
    console.log(`| ${arch} | ${label(method)} | ${m.toFixed(0)} | ${(m / base).toFixed(2)} |`);
  }
}
const out = arg("json");
if (out) writeFileSync(out, `${JSON.stringify({ batch, size, width, steps, rounds, rows }, null, 2)}\n`);
