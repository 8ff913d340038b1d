// Writes a synthetic annotation file shaped like COCO instances_train2017.json
// (118,287 images, 860,001 boxes, 80 categories with COCO's id gaps, polygon
// segmentations, ~1 % crowd RLE masks, ~450 MB) for bench/data.js. Generated
// outside the repository; nothing here is real COCO data.

import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mulberry32 } from "./lib/mulberry32.mjs";

// COCO's 80 category ids (1..90 with 10 gaps).
const GAPS = new Set([12, 26, 29, 30, 45, 66, 68, 69, 71, 83]);
export const COCO_CATEGORY_IDS = Array.from({ length: 90 }, (_, i) => i + 1).filter((id) => !GAPS.has(id));

export async function writeCocoLike(path, { images = 118287, boxes = 860001, seed = 2017 } = {}) {
  const rand = mulberry32(seed);
  const out = createWriteStream(path);
  const write = async (s) => {
    if (!out.write(s)) await once(out, "drain");
  };
  await write(
    '{"info":{"description":"synthetic COCO-train2017-sized file for labelsweep bench","year":2017},',
  );
  await write('"licenses":[{"url":"http://example.invalid","id":1,"name":"none"}],\n"images":[\n');
  const widths = new Int32Array(images);
  const heights = new Int32Array(images);
  const ids = new Int32Array(images);
  let chunk = "";
  for (let i = 0; i < images; i++) {
    ids[i] = 9 + i * 5 + Math.floor(rand() * 4); // sparse, increasing ids like COCO's
    widths[i] = 480 + Math.floor(rand() * 160);
    heights[i] = 360 + Math.floor(rand() * 160);
    const name = String(ids[i]).padStart(12, "0");
    chunk += `${i ? ",\n" : ""}{"license":1,"file_name":"${name}.jpg","coco_url":"http://images.cocodataset.org/train2017/${name}.jpg","height":${heights[i]},"width":${widths[i]},"date_captured":"2013-11-14 11:18:45","flickr_url":"http://farm.example.invalid/${name}.jpg","id":${ids[i]}}`;
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = "";
    }
  }
  await write(`${chunk}\n],\n"annotations":[\n`);
  chunk = "";
  for (let a = 0; a < boxes; a++) {
    const i = Math.floor(rand() * images);
    const w = widths[i];
    const h = heights[i];
    const bw = 4 + rand() * (w / 2);
    const bh = 4 + rand() * (h / 2);
    const x = rand() * (w - bw);
    const y = rand() * (h - bh);
    const cat = COCO_CATEGORY_IDS[Math.floor(rand() * rand() * 80)];
    const crowd = rand() < 0.01;
    let seg;
    if (crowd) {
      const counts = Array.from({ length: 40 }, () => Math.floor(rand() * 400));
      seg = `{"counts":[${counts.join(",")}],"size":[${h},${w}]}`;
    } else {
      const pts = [];
      for (let k = 0; k < 26; k++) {
        const t = (k / 26) * 2 * Math.PI;
        pts.push(
          (x + bw / 2 + (Math.cos(t) * bw) / 2).toFixed(2),
          (y + bh / 2 + (Math.sin(t) * bh) / 2).toFixed(2),
        );
      }
      seg = `[[${pts.join(",")}]]`;
    }
    chunk += `${a ? ",\n" : ""}{"segmentation":${seg},"area":${(bw * bh * 0.7).toFixed(4)},"iscrowd":${crowd ? 1 : 0},"image_id":${ids[i]},"bbox":[${x.toFixed(2)},${y.toFixed(2)},${bw.toFixed(2)},${bh.toFixed(2)}],"category_id":${cat},"id":${crowd ? 900100000000 + a : a + 1}}`;
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = "";
    }
  }
  await write(`${chunk}\n],\n"categories":[\n`);
  await write(
    COCO_CATEGORY_IDS.map((id) => `{"supercategory":"thing","id":${id},"name":"class${id}"}`).join(",\n"),
  );
  await write("\n]}\n");
  out.end();
  await once(out, "finish");
}
