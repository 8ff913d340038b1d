#!/usr/bin/env node
// LVIS-style evaluation benchmark: 1,203 categories (r/c/f), federated lists,
// 300 detections per image, evaluated end to end by labelsweep, lvis-api and
// faster-coco-eval (lvis_style), side by side in one run. lvis-api takes minutes.
//
//   npm run build && node bench/eval-lvis.mjs [--images 5000] [--runs 3] [--no-reference]

import { benchmarkFiles, compare, parseArgs, toolRunners } from "./eval-compare.mjs";

const opts = parseArgs({ images: 5000, runs: 3, referenceRuns: 1, reference: true });
const files = await benchmarkFiles(`lvis-${opts.images}`, {
  seed: 1203,
  images: opts.images,
  categories: 1203,
  gtPerImage: 6.2,
  detsPerImage: 300,
  lvis: true,
});
console.log(
  `LVIS-style case: ${files.counts.images} images, ${files.counts.categories} categories, ` +
    `${files.counts.annotations} boxes, ${files.counts.detections} detections (${files.mb.toFixed(1)} MiB of JSON)`,
);
compare(toolRunners("lvis", files.gt, files.dt, opts.reference ? ["lvis-api", "faster-lvis"] : []), opts);
