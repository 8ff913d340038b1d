#!/usr/bin/env node
// COCO-val2017-sized evaluation benchmark: 5,000 images, 80 categories, ~36k
// boxes, 100 detections per image (500k), evaluated end to end (read JSON,
// check, match, accumulate, summarize) by labelsweep, pycocotools and
// faster-coco-eval, side by side in one run.
//
//   npm run build && node bench/eval-coco.mjs [--images 5000] [--runs 3] [--referenceRuns 1] [--no-reference]
//
// The reference tools are development aids built outside the repo (see
// test/fixtures/eval/reference.py); a missing one is reported and skipped.

import { benchmarkFiles, compare, parseArgs, toolRunners } from "./eval-compare.mjs";

const opts = parseArgs({ images: 5000, runs: 3, referenceRuns: 1, reference: true });
const files = await benchmarkFiles(`coco-${opts.images}`, {
  seed: 2017,
  images: opts.images,
  categories: 80,
  gtPerImage: 7.3,
  detsPerImage: 100,
  crowdRate: 0.01,
});
console.log(
  `COCO-style case: ${files.counts.images} images, ${files.counts.categories} categories, ` +
    `${files.counts.annotations} boxes, ${files.counts.detections} detections (${files.mb.toFixed(1)} MiB of JSON)`,
);
compare(
  toolRunners("coco", files.gt, files.dt, opts.reference ? ["pycocotools", "faster-coco-eval"] : []),
  opts,
);
