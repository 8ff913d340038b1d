import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { cocoBytes } from "../coco-writer.js";
import { encodePng } from "../images.js";
import { ShapesImages, shapesDataset } from "./shapes-dataset.js";
import type { ResolvedShapesSpec } from "./shapes-spec.js";

// `labelsweep data export`: the shapes dataset as plain files, so external
// trainers (mmdetection, detectron2) can use it: a COCO instances file per
// split under annotations/, and PNGs whose paths are the JSON file names
// (out/train/000042.png ↔ "file_name": "train/000042.png").

export interface ExportResult {
  annotations: string[];
  images: number;
}

export async function exportShapes(
  spec: ResolvedShapesSpec,
  outDir: string,
  options: { splits?: ("train" | "eval")[]; onImage?: (done: number, total: number) => void } = {},
): Promise<ExportResult> {
  const splits = options.splits ?? (spec.eval_images > 0 ? ["train", "eval"] : ["train"]);
  const renderer = new ShapesImages(spec);
  const annotations: string[] = [];
  const datasets = splits.map((split) => ({ split, ds: shapesDataset(spec, split) }));
  const total = datasets.reduce((n, { ds }) => n + ds.images.count, 0);
  let done = 0;
  for (const { split, ds } of datasets) {
    const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
    const path = join(outDir, "annotations", `instances_${split}.json`);
    await writeFileAtomic(
      path,
      cocoBytes(ds, { images: all(ds.images.count), annotations: all(ds.annotations.count) }),
    );
    annotations.push(path);
    // A few encodes in flight keep libvips' thread pool busy without holding every image in memory.
    const queue = Array.from({ length: ds.images.count }, (_, i) => i);
    const worker = async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const fileName = ds.images.fileNames[i] as string;
        const png = await encodePng({
          data: renderer.render(fileName),
          width: spec.image_size,
          height: spec.image_size,
        });
        await writeFileAtomic(join(outDir, fileName), png);
        options.onImage?.(++done, total);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
  }
  return { annotations, images: total };
}
