import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../util/atomic-write.js";
import { canonicalJson, sha256Hex } from "../../util/canonical-json.js";
import { encodePng } from "../images.js";
import { ShapesImages, shapesFileName } from "./shapes-dataset.js";
import { type ResolvedShapesSpec, SHAPES_GENERATOR_VERSION } from "./shapes-spec.js";

// External trainers (the command engine) read images from disk, so for them
// the shapes images a split uses are written once per spec as PNGs, at the
// paths the annotation files name ("train/000042.png"), under
// <cache>/shapes-<spec hash>/images. Each file is written atomically and
// skipped when present, so splits of one spec share the folder and a crash
// loses nothing but the image being written.

export function shapesCacheDir(spec: ResolvedShapesSpec, cacheDir: string): string {
  const key = sha256Hex(canonicalJson({ generator: SHAPES_GENERATOR_VERSION, spec })).slice(0, 16);
  return join(cacheDir, `shapes-${key}`);
}

export async function writeShapesImages(
  spec: ResolvedShapesSpec,
  cacheDir: string,
  groups: { folder: "train" | "eval" | `extra-${"all" | "rare" | "tail"}`; count: number }[],
): Promise<string> {
  const root = join(shapesCacheDir(spec, cacheDir), "images");
  const renderer = new ShapesImages(spec);
  const todo: string[] = [];
  for (const { folder, count } of groups) {
    for (let i = 0; i < count; i++) {
      const name = shapesFileName(folder, i);
      if (!existsSync(join(root, name))) todo.push(name);
    }
  }
  const size = spec.image_size;
  const worker = async () => {
    for (let name = todo.shift(); name !== undefined; name = todo.shift()) {
      await writeFileAtomic(
        join(root, name),
        await encodePng({ data: renderer.render(name), width: size, height: size }),
      );
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return root;
}
