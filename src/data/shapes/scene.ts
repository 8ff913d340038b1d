import { Xoshiro128 } from "../rng.js";
import type { ShapeClass, ShapeKind } from "./classes.js";
import { classesOf, type ResolvedShapesSpec, SHAPES_GENERATOR_VERSION } from "./shapes-spec.js";

// The layout of one `shapes` image, a pure function of (spec, split, index):
// each image has its own xoshiro128** stream seeded by sha256(version, seed,
// split, index), so any image can be rendered on demand without generating
// the ones before it.

export type ShapesSplit = "train" | "eval" | "extra";

export interface ShapeObject {
  classIndex: number;
  kind: ShapeKind;
  /** The frame the silhouette is drawn in: [x, y, w, h] in pixels. */
  frame: [number, number, number, number];
  /** The tight ground-truth box of the silhouette, [x, y, w, h]. */
  box: [number, number, number, number];
  rgb: [number, number, number];
}

export interface Grating {
  /** Cycles per pixel along x and y. */
  fx: number;
  fy: number;
  phase: number;
  amplitude: number;
}

export interface Scene {
  size: number;
  base: [number, number, number];
  /** Half-width of the uniform per-pixel noise (0 for none). */
  noise: number;
  gratings: Grating[];
  /** Seed of the per-pixel noise stream. */
  noiseSeed: [number, number, number, number];
  objects: ShapeObject[];
}

/** Fraction of the frame's height the silhouette fills, top offset and height (hexagons are flatter). */
const V_EXTENT: Record<ShapeKind, [number, number]> = {
  circle: [0, 1],
  square: [0, 1],
  triangle: [0, 1],
  ring: [0, 1],
  cross: [0, 1],
  diamond: [0, 1],
  hexagon: [0.5 - Math.sqrt(3) / 4, Math.sqrt(3) / 2],
  x: [0, 1],
  semicircle: [0, 1],
  "triangle-down": [0, 1],
};

/** Largest share of either box that another box may cover: objects stay ≥ 70 % visible. */
const MAX_COVER = 0.3;
const PLACEMENT_TRIES = 20;
/** Box widths and heights vary by up to this aspect ratio either way. */
const MAX_ASPECT = 1.4;

const round2 = (v: number) => Math.round(v * 100) / 100;

export interface SceneOptions {
  /** Draw classes uniformly from this pool (class indices) instead of the spec's law. */
  classPool?: readonly number[];
  /** One dominant object (overrides spec.object_centric). */
  objectCentric?: boolean;
}

/** Cumulative class weights of the spec's frequency law (uniform, or Zipf p(k) ∝ (k+1)^-s). */
export function classWeights(spec: ResolvedShapesSpec): number[] {
  const k = spec.classes.length;
  const law = spec.class_frequency;
  const w = Array.from({ length: k }, (_, i) => (law === "uniform" ? 1 : (i + 1) ** -law.zipf));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

export class SceneMaker {
  private readonly classes: ShapeClass[];
  private readonly cumulative: number[];
  private readonly partners: number[][];

  constructor(readonly spec: ResolvedShapesSpec) {
    this.classes = classesOf(spec);
    let acc = 0;
    this.cumulative = classWeights(spec).map((p) => (acc += p));
    this.partners = this.classes.map(() => []);
    for (const [a, b] of spec.cooccurrence?.pairs ?? []) {
      this.partners[a]?.push(b);
      this.partners[b]?.push(a);
    }
  }

  private drawClass(rng: Xoshiro128, pool?: readonly number[]): number {
    if (pool) return pool[rng.nextInt(pool.length)] as number;
    const u = rng.nextFloat();
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (u < (this.cumulative[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  scene(split: ShapesSplit, index: number, options: SceneOptions = {}): Scene {
    const spec = this.spec;
    const size = spec.image_size;
    const rng = Xoshiro128.fromParts([SHAPES_GENERATOR_VERSION, spec.seed, split, index]);
    const scene = this.background(rng, size);
    const objectCentric = options.objectCentric ?? spec.object_centric;

    const wanted: number[] = [];
    if (objectCentric) {
      wanted.push(this.drawClass(rng, options.classPool));
    } else {
      const [lo, hi] = spec.objects_per_image;
      const n = lo + rng.nextInt(hi - lo + 1);
      const p = spec.cooccurrence?.probability ?? 0;
      while (wanted.length < n) {
        const c = this.drawClass(rng, options.classPool);
        wanted.push(c);
        // Co-occurrence: a class of a pair brings a partner along with probability p.
        const partners = this.partners[c] ?? [];
        if (partners.length && wanted.length < n && rng.nextFloat() < p) {
          wanted.push(partners[rng.nextInt(partners.length)] as number);
        }
      }
    }

    for (const c of wanted) {
      const cls = this.classes[c] as ShapeClass;
      for (let attempt = 0; attempt < PLACEMENT_TRIES; attempt++) {
        const frame = objectCentric ? this.centredFrame(rng, size) : this.randomFrame(rng, size);
        const [top, height] = V_EXTENT[cls.kind];
        const box: [number, number, number, number] = [
          frame[0],
          round2(frame[1] + frame[3] * top),
          frame[2],
          round2(frame[3] * height),
        ];
        if (scene.objects.some((o) => tooMuchOverlap(o.box, box))) continue;
        const jitter = () => rng.nextInt(25) - 12;
        const rgb = cls.rgb.map((v) => Math.max(0, Math.min(255, v + jitter()))) as [number, number, number];
        scene.objects.push({ classIndex: c, kind: cls.kind, frame, box, rgb });
        break;
      }
    }
    return scene;
  }

  private background(rng: Xoshiro128, size: number): Scene {
    // Muted backgrounds (grey 70–185 with a small tint) keep every class colour, white and black included, visible.
    const level = 70 + rng.nextInt(116);
    const base = [0, 1, 2].map(() => level + rng.nextInt(41) - 20) as [number, number, number];
    const kind = this.spec.background;
    const gratings: Grating[] = [];
    if (kind === "texture") {
      for (let g = 0; g < 2; g++) {
        const cycles = 2 + rng.nextFloat() * 8;
        const angle = rng.nextFloat() * Math.PI;
        gratings.push({
          fx: (cycles * Math.cos(angle)) / size,
          fy: (cycles * Math.sin(angle)) / size,
          phase: rng.nextFloat() * 2 * Math.PI,
          amplitude: 10 + rng.nextFloat() * 14,
        });
      }
    }
    return {
      size,
      base,
      noise: kind === "plain" ? 0 : kind === "noise" ? 24 : 10,
      gratings,
      noiseSeed: [rng.nextUint32(), rng.nextUint32(), rng.nextUint32(), rng.nextUint32()],
      objects: [],
    };
  }

  /** Side drawn log-uniformly in the scale range (so every octave is equally likely), aspect jittered. */
  private randomFrame(rng: Xoshiro128, size: number): [number, number, number, number] {
    const [smin, smax] = this.spec.scale;
    const side = Math.exp(Math.log(smin) + rng.nextFloat() * (Math.log(smax) - Math.log(smin))) * size;
    const aspect = Math.exp((2 * rng.nextFloat() - 1) * Math.log(MAX_ASPECT));
    const w = round2(Math.min(size, side * Math.sqrt(aspect)));
    const h = round2(Math.min(size, side / Math.sqrt(aspect)));
    const x = Math.min(round2(rng.nextFloat() * (size - w)), round2(size - w));
    const y = Math.min(round2(rng.nextFloat() * (size - h)), round2(size - h));
    return [x, y, w, h];
  }

  /** Object-centric: one object of 45–80 % of the side, near the centre. */
  private centredFrame(rng: Xoshiro128, size: number): [number, number, number, number] {
    const side = (0.45 + rng.nextFloat() * 0.35) * size;
    const aspect = Math.exp((2 * rng.nextFloat() - 1) * Math.log(1.2));
    const w = round2(Math.min(size, side * Math.sqrt(aspect)));
    const h = round2(Math.min(size, side / Math.sqrt(aspect)));
    const cx = size / 2 + (rng.nextFloat() - 0.5) * 0.2 * size;
    const cy = size / 2 + (rng.nextFloat() - 0.5) * 0.2 * size;
    const x = Math.max(0, Math.min(size - w, cx - w / 2));
    const y = Math.max(0, Math.min(size - h, cy - h / 2));
    return [round2(x), round2(y), w, h];
  }
}

function tooMuchOverlap(a: readonly number[], b: readonly number[]): boolean {
  const [ax, ay, aw, ah] = a as [number, number, number, number];
  const [bx, by, bw, bh] = b as [number, number, number, number];
  const iw = Math.min(ax + aw, bx + bw) - Math.max(ax, bx);
  const ih = Math.min(ay + ah, by + bh) - Math.max(ay, by);
  if (iw <= 0 || ih <= 0) return false;
  const inter = iw * ih;
  return inter > MAX_COVER * aw * ah || inter > MAX_COVER * bw * bh;
}
