// bench/data-shapes: how fast `shapes` images come out of the renderer, the
// path the tfjs engine takes for every training image (render on demand from
// (seed, split, index), then Float32 in [0, 1]), beside decoding the same
// images from PNG files with sharp, the path an exported copy would take.
// Run after `npm run build`: node bench/data-shapes.js
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeImageFile,
  exportShapes,
  resolveShapesSpec,
  ShapesImages,
  toTensor,
} from "../dist/data/index.js";

const N = 1000;
const cpuMs = (c0) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

console.log(`${N} training images per size; times are cpu ms per image\n`);
console.log("size  objects  render  render+tensor  png decode+tensor  ratio (png / render+tensor)");
for (const size of [64, 128]) {
  const spec = resolveShapesSpec({
    name: "shapes",
    image_size: size,
    train_images: N,
    classes: 20,
    objects_per_image: [1, 6],
  });
  const images = new ShapesImages(spec);
  const names = Array.from({ length: N }, (_, i) => `train/${String(i).padStart(6, "0")}.png`);
  let objects = 0;
  for (const n of names) objects += images.scene(n).objects.length;
  // Warm the JIT so the first column does not pay for compilation.
  for (const n of names.slice(0, 200)) await toTensor({ data: images.render(n), width: size, height: size });
  let c0 = process.cpuUsage();
  for (const n of names) images.render(n);
  const render = cpuMs(c0) / N;
  c0 = process.cpuUsage();
  for (const n of names) await toTensor({ data: images.render(n), width: size, height: size });
  const tensor = cpuMs(c0) / N;
  const dir = mkdtempSync(join(tmpdir(), "labelsweep-bench-shapes-"));
  try {
    await exportShapes(spec, dir, { splits: ["train"] });
    c0 = process.cpuUsage();
    for (const n of names) await toTensor(await decodeImageFile(join(dir, n)));
    const png = cpuMs(c0) / N;
    console.log(
      `${String(size).padStart(4)}  ${(objects / N).toFixed(2).padStart(7)}  ${render.toFixed(3).padStart(6)}  ` +
        `${tensor.toFixed(3).padStart(13)}  ${png.toFixed(3).padStart(17)}  ${(png / tensor).toFixed(1).padStart(6)}×`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
