import { join } from "node:path";
import type sharpType from "sharp";
import { UserError } from "../util/errors.js";
import type { ImageLocation } from "./dataset-source.js";
import { ShapesImages } from "./shapes/shapes-dataset.js";

// Pixels for the engine: 8-bit RGB from files (decoded by sharp/libvips) or
// from the shapes renderer, and Float32 tensors in [0, 1] (plain
// Float32Array + shape, height × width × 3; the engine wraps them in its own
// tensor type, so data/ does not depend on tfjs).

export interface RgbImage {
  /** height × width × 3, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
}

export interface ImageTensor {
  data: Float32Array;
  shape: [height: number, width: number, channels: 3];
}

export interface ImageSource {
  read(fileName: string): Promise<RgbImage>;
}

export function imageSource(location: ImageLocation): ImageSource {
  if (location.kind === "shapes") {
    const shapes = new ShapesImages(location.spec);
    const size = location.spec.image_size;
    return { read: async (fileName) => ({ data: shapes.render(fileName), width: size, height: size }) };
  }
  return { read: (fileName) => decodeImageFile(join(location.root, fileName)) };
}

// sharp (libvips) loads only when an image is decoded or encoded: `plan`,
// `validate` and the other commands that never touch pixels start without it.
let sharpModule: typeof sharpType | undefined;
async function sharp(...args: Parameters<typeof sharpType>): Promise<ReturnType<typeof sharpType>> {
  sharpModule ??= (await import("sharp")).default;
  return sharpModule(...args);
}

export async function decodeImageFile(path: string): Promise<RgbImage> {
  try {
    const { data, info } = await (await sharp(path))
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
    };
  } catch (err) {
    throw new UserError(`cannot decode image ${path}: ${(err as Error).message}`);
  }
}

export interface TensorOptions {
  /** Resize to size × size (aspect not kept; boxes scale by size/width, size/height). */
  size?: number;
  /** Mirror left–right (boxes: x' = width − x − w). */
  flip?: boolean;
}

/** RGB bytes → Float32 in [0, 1], resized and mirrored with libvips when asked. */
export async function toTensor(image: RgbImage, options: TensorOptions = {}): Promise<ImageTensor> {
  let { data, width, height } = image;
  if ((options.size && (options.size !== width || options.size !== height)) || options.flip) {
    let pipeline = await sharp(data, { raw: { width, height, channels: 3 } });
    if (options.size)
      pipeline = pipeline.resize(options.size, options.size, { fit: "fill", kernel: "linear" });
    if (options.flip) pipeline = pipeline.flop();
    const out = await pipeline.raw().toBuffer({ resolveWithObject: true });
    data = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.length);
    width = out.info.width;
    height = out.info.height;
  }
  const f = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) f[i] = (data[i] as number) / 255;
  return { data: f, shape: [height, width, 3] };
}

/** Encodes RGB bytes as PNG (used by `data export`). */
export async function encodePng(image: RgbImage): Promise<Buffer> {
  const pipeline = await sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: 3 },
  });
  return pipeline.png({ compressionLevel: 6 }).toBuffer();
}
