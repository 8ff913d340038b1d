// The built-in class list of `shapes`: 8 silhouettes × 10 colours = 80
// classes (COCO's class count). Listed so that the first 8 classes differ in
// both shape and colour, and every further block of 8 pairs each shape with
// the next colour; the first k classes are always k distinct (shape, colour)
// pairs. A class is "<colour> <shape>", e.g. "red circle".

export const SHAPE_KINDS = [
  "circle",
  "square",
  "triangle",
  "ring",
  "cross",
  "diamond",
  "hexagon",
  "x",
] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

export const COLOURS: readonly { name: string; rgb: readonly [number, number, number] }[] = [
  { name: "red", rgb: [220, 40, 40] },
  { name: "green", rgb: [40, 170, 60] },
  { name: "blue", rgb: [40, 80, 225] },
  { name: "yellow", rgb: [235, 210, 40] },
  { name: "magenta", rgb: [210, 50, 200] },
  { name: "cyan", rgb: [40, 200, 210] },
  { name: "orange", rgb: [245, 140, 30] },
  { name: "purple", rgb: [115, 55, 175] },
  { name: "white", rgb: [248, 248, 248] },
  { name: "black", rgb: [18, 18, 18] },
];

export interface ShapeClass {
  name: string;
  kind: ShapeKind;
  rgb: readonly [number, number, number];
}

export const BUILTIN_CLASSES: readonly ShapeClass[] = Array.from(
  { length: SHAPE_KINDS.length * COLOURS.length },
  (_, k) => {
    const kind = SHAPE_KINDS[k % SHAPE_KINDS.length] as ShapeKind;
    const colour = COLOURS[
      (k + Math.floor(k / SHAPE_KINDS.length)) % COLOURS.length
    ] as (typeof COLOURS)[number];
    return { name: `${colour.name} ${kind}`, kind, rgb: colour.rgb };
  },
);
