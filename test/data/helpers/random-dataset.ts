import fc from "fast-check";
import { CROWD, DatasetBuilder, type DetectionDataset } from "../../../src/data/detection-dataset.js";

// Small random detection datasets for property tests: images with 0..8 boxes
// over a few classes, some crowd regions, and annotations written in a
// shuffled order (COCO files do not group annotations by image).

export interface DatasetShape {
  classes: number;
  images: { boxes: { c: number; crowd: boolean; x: number; y: number; w: number; h: number }[] }[];
  order: number[];
}

export const datasetShape = (maxImages = 40): fc.Arbitrary<DatasetShape> =>
  fc
    .record({
      classes: fc.integer({ min: 1, max: 6 }),
      images: fc.array(
        fc.record({
          boxes: fc.array(
            fc.record({
              c: fc.nat(),
              x: fc.integer({ min: 0, max: 50 }),
              y: fc.integer({ min: 0, max: 50 }),
              w: fc.integer({ min: 1, max: 40 }),
              h: fc.integer({ min: 1, max: 40 }),
            }),
            { maxLength: 8 },
          ),
        }),
        { minLength: 1, maxLength: maxImages },
      ),
      crowdEvery: fc.integer({ min: 0, max: 7 }),
      seed: fc.nat(),
    })
    .map(({ classes, images, crowdEvery, seed }) => {
      let k = 0;
      const withCrowd = images.map((img) => ({
        // Every (crowdEvery + 3)-th box is a crowd region; crowdEvery = 0 means none.
        boxes: img.boxes.map((b) => ({
          ...b,
          c: b.c % classes,
          crowd: crowdEvery > 0 && k++ % (crowdEvery + 3) === 0,
        })),
      }));
      const total = withCrowd.reduce((n, i) => n + i.boxes.length, 0);
      // A deterministic shuffle of annotation order.
      const order = Array.from({ length: total }, (_, i) => i);
      let s = seed || 1;
      for (let i = order.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        const j = s % (i + 1);
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      return { classes, images: withCrowd, order };
    });

export function buildDataset(shape: DatasetShape): DetectionDataset {
  const cats = Array.from({ length: shape.classes }, (_, i) => ({ id: i + 1, name: `c${i + 1}` }));
  const b = new DatasetBuilder("coco", "random", cats);
  for (let i = 0; i < shape.images.length; i++) b.addImage(1000 + i * 7, `img${i}.jpg`, 100, 100);
  const flat = shape.images.flatMap((img, i) => img.boxes.map((box) => ({ i, box })));
  for (const k of shape.order) {
    const { i, box } = flat[k]!;
    b.addAnnotation(i, box.c, [box.x, box.y, box.w, box.h], box.crowd ? CROWD : 0);
  }
  return b.build();
}

/** A dataset of n images with one box each (for split-size tests that need many images). */
export function manyImages(n: number, classes = 3): DetectionDataset {
  const cats = Array.from({ length: classes }, (_, i) => ({ id: i + 1, name: `c${i + 1}` }));
  const b = new DatasetBuilder("coco", "many", cats);
  for (let i = 0; i < n; i++) {
    b.addImage(i + 1, `${i}.jpg`, 10, 10);
    b.addAnnotation(i, i % classes, [0, 0, 5, 5]);
  }
  return b.build();
}
