// The built-in class list of `shapes`: 10 silhouettes × 20 colours = 200
// classes (the schema's maximum). Listed so that the first 10 classes differ
// in both shape and colour and every further block of 10 pairs each shape
// with the next colour; the first k classes are always k distinct
// (colour, shape) pairs. A class is named "<colour>-<shape>", e.g. "red-circle".

export const SHAPE_KINDS = [
  "circle",
  "square",
  "triangle",
  "ring",
  "cross",
  "diamond",
  "hexagon",
  "x",
  "semicircle",
  "triangle-down",
] as const;
export type ShapeKind = (typeof SHAPE_KINDS)[number];

// Saturated or extreme colours only: backgrounds are muted greys (scene.ts), so no class blends into them.
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
  { name: "pink", rgb: [255, 150, 190] },
  { name: "brown", rgb: [120, 70, 30] },
  { name: "lime", rgb: [160, 235, 40] },
  { name: "navy", rgb: [20, 30, 110] },
  { name: "teal", rgb: [0, 120, 120] },
  { name: "maroon", rgb: [120, 10, 40] },
  { name: "olive", rgb: [110, 120, 20] },
  { name: "sky", rgb: [120, 190, 255] },
  { name: "gold", rgb: [200, 160, 0] },
  { name: "violet", rgb: [190, 130, 255] },
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
    return { name: `${colour.name}-${kind}`, kind, rgb: colour.rgb };
  },
);

/** The shape part of a class name ("red-triangle-down" → "triangle-down"). */
export function kindOf(name: string): string {
  return name.slice(name.indexOf("-") + 1);
}
