import type { ShapesDatasetSpec } from "../../spec/types.js";
import { SpecValueError } from "../../util/errors.js";
import { BUILTIN_CLASSES, COLOURS, SHAPE_KINDS, type ShapeClass } from "./classes.js";

/** Bumped whenever a change to layout or rendering changes any generated scene or pixel. */
export const SHAPES_GENERATOR_VERSION = "shapes-1";

/** A ShapesDatasetSpec with every default filled in: what the scenes are a pure function of. */
export interface ResolvedShapesSpec {
  name: "shapes";
  seed: number;
  train_images: number;
  eval_images: number;
  image_size: number;
  classes: string[];
  objects_per_image: [number, number];
  scale: [number, number];
  class_frequency: "uniform" | { zipf: number };
  cooccurrence: { pairs: [number, number][]; probability: number } | null;
  object_centric: boolean;
  background: "plain" | "noise" | "texture";
}

// Defaults, as in schemas/experiment.schema.json: a set that trains in
// minutes on CPU. The object scale range is 8.75× (5 px to 45 px at 64 px),
// so multi-scale methods matter.
export const SHAPES_DEFAULTS = {
  seed: 0,
  train_images: 2000,
  eval_images: 500,
  image_size: 64,
  classes: 6,
  objects_per_image: [1, 4] as [number, number],
  scale: [0.08, 0.7] as [number, number],
  background: "texture" as const,
};

type Key = string | (string | number)[];

function fail(key: Key, what: string): never {
  throw new SpecValueError(["dataset", ...(typeof key === "string" ? [key] : key)], what);
}

function wholeNumber(key: Key, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    fail(key, `expected a whole number in [${min}, ${max}], got ${JSON.stringify(v)}`);
  }
  return v;
}

export function resolveShapesSpec(spec: ShapesDatasetSpec): ResolvedShapesSpec {
  const d = SHAPES_DEFAULTS;
  const seed = wholeNumber("seed", spec.seed ?? d.seed, 0, 2 ** 32 - 1);
  const train = wholeNumber("train_images", spec.train_images ?? d.train_images, 1, 10_000_000);
  const evalN = wholeNumber("eval_images", spec.eval_images ?? d.eval_images, 0, 10_000_000);
  const size = wholeNumber("image_size", spec.image_size ?? d.image_size, 16, 2048);

  const rawClasses = spec.classes ?? d.classes;
  let classes: string[];
  if (typeof rawClasses === "number") {
    wholeNumber("classes", rawClasses, 1, BUILTIN_CLASSES.length);
    classes = BUILTIN_CLASSES.slice(0, rawClasses).map((c) => c.name);
  } else {
    if (!Array.isArray(rawClasses) || rawClasses.length === 0)
      fail("classes", "expected a number or a list of class names");
    const known = new Set(BUILTIN_CLASSES.map((c) => c.name));
    const seen = new Set<string>();
    rawClasses.forEach((name, i) => {
      if (!known.has(name)) {
        fail(
          ["classes", i],
          `unknown class ${JSON.stringify(name)}; classes are "<colour>-<shape>" ` +
            `(colours: ${COLOURS.map((c) => c.name).join(", ")}; shapes: ${SHAPE_KINDS.join(", ")})` +
            suggest(String(name)),
        );
      }
      if (seen.has(name)) fail(["classes", i], `class ${JSON.stringify(name)} is listed twice`);
      seen.add(name);
    });
    classes = [...rawClasses];
  }

  const opi = spec.objects_per_image ?? d.objects_per_image;
  if (!Array.isArray(opi) || opi.length !== 2) fail("objects_per_image", "expected [min, max]");
  const minObj = wholeNumber(["objects_per_image", 0], opi[0], 0, 100);
  const maxObj = wholeNumber(["objects_per_image", 1], opi[1], 1, 100);
  if (maxObj < minObj) {
    fail("objects_per_image", `expected [min, max] with min ≤ max, got [${minObj}, ${maxObj}]`);
  }

  const scale = spec.scale ?? d.scale;
  if (!Array.isArray(scale) || scale.length !== 2)
    fail("scale", "expected [smallest, largest] as fractions of the image side");
  const [smin, smax] = scale as [number, number];
  if (!(smin > 0 && smin <= smax && smax <= 1)) {
    fail("scale", `expected 0 < smallest ≤ largest ≤ 1, got [${smin}, ${smax}]`);
  }

  const freq = spec.class_frequency ?? "uniform";
  if (freq !== "uniform") {
    if (
      typeof freq !== "object" ||
      freq === null ||
      !(typeof freq.zipf === "number" && freq.zipf > 0 && freq.zipf <= 10)
    ) {
      fail("class_frequency", 'expected "uniform" or {zipf: s} with 0 < s ≤ 10');
    }
  }

  let cooccurrence: ResolvedShapesSpec["cooccurrence"] = null;
  if (spec.cooccurrence) {
    const { pairs, probability } = spec.cooccurrence;
    if (!(typeof probability === "number" && probability >= 0 && probability <= 1)) {
      fail(
        ["cooccurrence", "probability"],
        `expected a number in [0, 1], got ${JSON.stringify(probability)}`,
      );
    }
    if (!Array.isArray(pairs))
      fail(["cooccurrence", "pairs"], "expected a list of [class index, class index]");
    pairs.forEach((pair, i) => {
      const at = ["cooccurrence", "pairs", i];
      if (!Array.isArray(pair) || pair.length !== 2) fail(at, "expected [a, b]");
      pair.forEach((c, j) => {
        if (!(Number.isInteger(c) && c >= 0 && c < classes.length)) {
          fail(
            [...at, j],
            `class index ${JSON.stringify(c)} is out of range: the dataset has ${classes.length} classes (indices 0–${classes.length - 1})`,
          );
        }
      });
      if (pair[0] === pair[1]) fail(at, "a class cannot pair with itself");
    });
    cooccurrence = { pairs: pairs.map(([a, b]) => [a, b] as [number, number]), probability };
  }

  const background = spec.background ?? d.background;
  if (background !== "plain" && background !== "noise" && background !== "texture") {
    fail("background", `expected plain, noise or texture, got ${JSON.stringify(background)}`);
  }
  return {
    name: "shapes",
    seed,
    train_images: train,
    eval_images: evalN,
    image_size: size,
    classes,
    objects_per_image: [minObj, maxObj],
    scale: [smin, smax],
    class_frequency: freq === "uniform" ? "uniform" : { zipf: freq.zipf },
    cooccurrence,
    object_centric: spec.object_centric ?? false,
    background,
  };
}

/** "; did you mean …?" with the closest built-in names (same shape or same colour, spelled loosely). */
function suggest(name: string): string {
  const norm = name.toLowerCase().replace(/[\s_]+/g, "-");
  const exact = BUILTIN_CLASSES.find((c) => c.name === norm);
  if (exact) return `; did you mean ${JSON.stringify(exact.name)}?`;
  const [colour] = norm.split("-");
  const kind = norm.slice(norm.indexOf("-") + 1);
  const near = BUILTIN_CLASSES.filter((c) => c.kind === kind || c.name.startsWith(`${colour}-`))
    .slice(0, 4)
    .map((c) => JSON.stringify(c.name));
  return near.length ? `; did you mean ${near.join(", ")}?` : "";
}

export function classesOf(spec: ResolvedShapesSpec): ShapeClass[] {
  const byName = new Map(BUILTIN_CLASSES.map((c) => [c.name, c]));
  return spec.classes.map((n) => byName.get(n) as ShapeClass);
}
