// Synthetic detection benchmarks shaped like the real evaluation sets:
//   COCO val2017: 5,000 images, 80 categories, ~36k boxes (7.3 per image, ~1% crowd),
//                 100 detections per image (500k);
//   LVIS v1 val:  1,203 categories (r/c/f), federated lists, 300 detections per image.
// Deterministic for a given seed. Detections look like a detector's output:
// jittered copies of the objects (varied IoU), confusions with other categories,
// background boxes; scores with 5 decimals (some ties), boxes with 2 decimals.

import { createWriteStream } from "node:fs";
import { mulberry32 } from "./lib/mulberry32.mjs";

const r2 = (v) => Math.round(v * 100) / 100;

function makeRng(seed) {
  const next = mulberry32(seed);
  return {
    next,
    uniform: (a, b) => a + (b - a) * next(),
    int: (a, b) => a + Math.floor(next() * (b - a + 1)),
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
  };
}

/** Object sizes roughly as in COCO: ~41% small, ~34% medium, ~24% large. */
function objectBox(rng, W, H) {
  const u = rng.next();
  const side = u < 0.41 ? rng.uniform(4, 32) : u < 0.75 ? rng.uniform(32, 96) : rng.uniform(96, 400);
  const aspect = Math.exp(rng.uniform(-0.7, 0.7));
  const w = Math.min(W - 1, side * aspect);
  const h = Math.min(H - 1, side / aspect);
  return [r2(rng.uniform(0, W - w)), r2(rng.uniform(0, H - h)), r2(w), r2(h)];
}

function jitter(rng, [x, y, w, h], amount) {
  return [
    r2(x + rng.uniform(-amount, amount) * w),
    r2(y + rng.uniform(-amount, amount) * h),
    r2(Math.max(1, w * Math.exp(rng.uniform(-amount, amount)))),
    r2(Math.max(1, h * Math.exp(rng.uniform(-amount, amount)))),
  ];
}

/** Writes a JSON array incrementally (the detections files are tens of MB). */
class ArrayWriter {
  constructor(path) {
    this.out = createWriteStream(path);
    this.first = true;
    this.buf = ["["];
  }
  push(obj) {
    this.buf.push(this.first ? JSON.stringify(obj) : `,${JSON.stringify(obj)}`);
    this.first = false;
    if (this.buf.length >= 4096) this.flush();
  }
  flush() {
    this.out.write(this.buf.join(""));
    this.buf = [];
  }
  close() {
    this.buf.push("]");
    this.flush();
    return new Promise((resolve, reject) => {
      this.out.on("error", reject);
      this.out.end(resolve);
    });
  }
}

/**
 * Generates gt.json and dt.json.
 * opts: images, categories, gtPerImage (mean), detsPerImage, crowdRate, lvis (frequency + federated lists).
 */
export async function writeDetectionBenchmark(gtPath, dtPath, opts) {
  const rng = makeRng(opts.seed ?? 2017);
  const W = 640;
  const H = 480;
  const K = opts.categories;
  const catIds = Array.from({ length: K }, (_, k) => k + 1 + Math.floor(k / 10)); // non-contiguous, like COCO
  // Long-tailed category frequencies for LVIS (Zipf), milder for COCO.
  const weights = catIds.map((_, k) => 1 / (k + 1) ** (opts.lvis ? 1.1 : 0.5));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf = [];
  let acc = 0;
  for (const w of weights) {
    acc += w / total;
    cdf.push(acc);
  }
  const sampleCat = () => {
    const u = rng.next();
    let lo = 0;
    let hi = K - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return catIds[lo];
  };
  const images = [];
  const annotations = [];
  const dt = new ArrayWriter(dtPath);
  let annId = 1;
  let numDets = 0;
  for (let i = 0; i < opts.images; i++) {
    const imgId = 100000 + i * 13;
    // Poisson-ish object count around the mean, some empty images.
    const nGt = rng.chance(0.01)
      ? 0
      : Math.max(1, Math.round(opts.gtPerImage * -Math.log(1 - rng.next() * 0.999)));
    const gts = [];
    const present = new Set();
    for (let g = 0; g < nGt; g++) {
      const cat = rng.chance(0.6) && gts.length ? rng.pick(gts).category_id : sampleCat();
      const bbox = objectBox(rng, W, H);
      const ann = {
        id: annId++,
        image_id: imgId,
        category_id: cat,
        bbox,
        area: r2(bbox[2] * bbox[3] * rng.uniform(0.5, 0.95)),
        iscrowd: !opts.lvis && rng.chance(opts.crowdRate) ? 1 : 0,
      };
      annotations.push(ann);
      gts.push(ann);
      present.add(cat);
    }
    const img = { id: imgId, width: W, height: H };
    if (opts.lvis) {
      const neg = new Set();
      for (let n = rng.int(5, 25); n > 0; n--) {
        const c = sampleCat();
        if (!present.has(c)) neg.add(c);
      }
      img.neg_category_ids = [...neg];
      img.not_exhaustive_category_ids = present.size && rng.chance(0.2) ? [rng.pick([...present])] : [];
    }
    images.push(img);
    // Detections: the detector's top-N per image.
    const presentList = [...present];
    for (let d = 0; d < opts.detsPerImage; d++) {
      const u = rng.next();
      let box;
      let cat;
      let score;
      if (gts.length && u < 0.35) {
        const g = rng.pick(gts);
        box = jitter(rng, g.bbox, rng.pick([0.03, 0.08, 0.15, 0.3]));
        cat = rng.chance(0.85) ? g.category_id : sampleCat();
        score = rng.uniform(0.05, 1);
      } else if (presentList.length && u < 0.6) {
        box = objectBox(rng, W, H);
        cat = rng.pick(presentList);
        score = rng.uniform(0, 0.5);
      } else {
        box = objectBox(rng, W, H);
        cat = sampleCat();
        score = rng.uniform(0, 0.3);
      }
      dt.push({ image_id: imgId, category_id: cat, bbox: box, score: Math.round(score * 1e5) / 1e5 });
      numDets++;
    }
  }
  await dt.close();
  const categories = catIds.map((id, k) => {
    const c = { id, name: `category${id}` };
    if (opts.lvis) c.frequency = k < K * 0.3 ? "f" : k < K * 0.67 ? "c" : "r";
    return c;
  });
  await new Promise((resolve, reject) => {
    const out = createWriteStream(gtPath);
    out.on("error", reject);
    out.end(JSON.stringify({ images, categories, annotations }), resolve);
  });
  return { images: images.length, categories: K, annotations: annotations.length, detections: numDets };
}
