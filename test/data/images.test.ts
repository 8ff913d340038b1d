import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeImageFile, imageSource, resolveShapesSpec, toTensor } from "../../src/data/index.js";

const fixture = (p: string) => fileURLToPath(new URL(`../fixtures/data/${p}`, import.meta.url));

describe("images", () => {
  it("decode PNGs (alpha dropped) to RGB bytes", async () => {
    const img = await decodeImageFile(fixture("images/tiny.png"));
    expect([img.width, img.height]).toEqual([4, 3]);
    expect(Array.from(img.data.subarray(0, 6))).toEqual([0, 255, 0, 20, 235, 255]);
    const rgba = await decodeImageFile(fixture("images/tiny-rgba.png"));
    expect(Buffer.from(rgba.data)).toEqual(Buffer.from(img.data));
  });

  it("turn into Float32 tensors in [0, 1], resized and mirrored on request", async () => {
    const img = await decodeImageFile(fixture("images/tiny.png"));
    const t = await toTensor(img);
    expect(t.shape).toEqual([3, 4, 3]);
    expect(t.data[1]).toBeCloseTo(1, 6);
    expect(t.data[4]).toBeCloseTo(235 / 255, 6);
    const flipped = await toTensor(img, { flip: true });
    // The first pixel of the mirrored image is the last pixel of the first row.
    expect(Array.from(flipped.data.subarray(0, 3))).toEqual(Array.from(t.data.subarray(9, 12)));
    const resized = await toTensor(img, { size: 8 });
    expect(resized.shape).toEqual([8, 8, 3]);
    expect(resized.data.length).toBe(192);
  });

  it("read JPEGs through a folder source and shapes through the renderer", async () => {
    const jpg = await imageSource({ kind: "dir", root: fixture("voc/VOCdevkit") }).read(
      "VOC2007/JPEGImages/000005.jpg",
    );
    expect([jpg.width, jpg.height]).toEqual([16, 12]);
    expect(Math.abs(jpg.data[0]! - 200)).toBeLessThan(6);
    const shapes = await imageSource({
      kind: "shapes",
      spec: resolveShapesSpec({ name: "shapes", image_size: 40 }),
    }).read("eval/000001.png");
    expect(shapes.data.length).toBe(40 * 40 * 3);
  });

  it("report undecodable files as user errors", async () => {
    await expect(decodeImageFile(fixture("images/broken.png"))).rejects.toThrow(
      /cannot decode image .*broken\.png/,
    );
  });
});
