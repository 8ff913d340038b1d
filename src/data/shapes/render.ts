import { Xoshiro128 } from "../rng.js";
import type { ShapeKind } from "./classes.js";
import type { Scene } from "./scene.js";

// Rasterises a Scene into 8-bit RGB (height × width × 3, row-major). Edges
// are anti-aliased with 2×2 supersampling, so a shape's pixels fill its
// ground-truth box as a renderer with sub-pixel geometry would. Larger
// objects are painted first so that small ones stay on top (the layout
// already keeps every object at least 70 % unoccluded).

const ARM = 0.17; // half-width of the plus-cross bars, in frame units
const DIAG = 0.13; // half-width of the x bars
const RING_INNER2 = (0.5 * 0.55) ** 2;
const SQRT3 = Math.sqrt(3);

/** Whether frame point (u, v) ∈ [0, 1]² lies inside the silhouette. */
export function insideShape(kind: ShapeKind, u: number, v: number): boolean {
  const dx = u - 0.5;
  const dy = v - 0.5;
  switch (kind) {
    case "circle":
      return dx * dx + dy * dy <= 0.25;
    case "square":
      return true;
    case "triangle":
      return Math.abs(dx) <= v / 2;
    case "ring": {
      const r2 = dx * dx + dy * dy;
      return r2 <= 0.25 && r2 >= RING_INNER2;
    }
    case "cross":
      return Math.abs(dx) <= ARM || Math.abs(dy) <= ARM;
    case "diamond":
      return Math.abs(dx) + Math.abs(dy) <= 0.5;
    case "hexagon": {
      const ax = Math.abs(dx);
      const ay = Math.abs(dy);
      return ay <= SQRT3 / 4 && SQRT3 * ax + ay <= SQRT3 / 2;
    }
    case "x":
      return Math.abs(dx - dy) <= DIAG * Math.SQRT2 || Math.abs(dx + dy) <= DIAG * Math.SQRT2;
    case "semicircle": {
      // Upper half of an ellipse whose flat side is the frame's bottom edge.
      const ey = v - 1;
      return 4 * dx * dx + ey * ey <= 1;
    }
    case "triangle-down":
      return Math.abs(dx) <= (1 - v) / 2;
  }
}

export function renderScene(scene: Scene): Uint8Array {
  const size = scene.size;
  const img = new Uint8Array(size * size * 3);
  paintBackground(scene, img);
  const order = scene.objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => b.o.frame[2] * b.o.frame[3] - a.o.frame[2] * a.o.frame[3] || a.i - b.i);
  const sub = [0.25, 0.75];
  for (const { o } of order) {
    const [fx, fy, fw, fh] = o.frame;
    const x0 = Math.max(0, Math.floor(fx));
    const y0 = Math.max(0, Math.floor(fy));
    const x1 = Math.min(size, Math.ceil(fx + fw));
    const y1 = Math.min(size, Math.ceil(fy + fh));
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        let hits = 0;
        for (const sy of sub) {
          const v = (py + sy - fy) / fh;
          if (v < 0 || v > 1) continue;
          for (const sx of sub) {
            const u = (px + sx - fx) / fw;
            if (u >= 0 && u <= 1 && insideShape(o.kind, u, v)) hits++;
          }
        }
        if (hits === 0) continue;
        const alpha = hits / 4;
        const p = (py * size + px) * 3;
        for (let ch = 0; ch < 3; ch++) {
          const under = img[p + ch] as number;
          img[p + ch] = Math.round(under + alpha * ((o.rgb[ch] as number) - under));
        }
      }
    }
  }
  return img;
}

/**
 * Which class owns each pixel, as fractions: height × width × numClasses,
 * row-major. Each pixel's 2×2 sub-samples (those renderScene blends) go to
 * the topmost object containing them — the one painted last, as
 * renderScene paints larger objects first — so a class's value is the share
 * of the pixel its visible silhouette covers (0 everywhere for background).
 * RichSem's oracle teacher reads class-area shares of boxes from it.
 */
export function renderCoverage(scene: Scene, numClasses: number): Float32Array {
  const size = scene.size;
  const out = new Float32Array(size * size * numClasses);
  const owner = new Int32Array(size * size * 4).fill(-1);
  const order = scene.objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => b.o.frame[2] * b.o.frame[3] - a.o.frame[2] * a.o.frame[3] || a.i - b.i);
  const sub = [0.25, 0.75];
  for (const { o } of order) {
    const [fx, fy, fw, fh] = o.frame;
    const x0 = Math.max(0, Math.floor(fx));
    const y0 = Math.max(0, Math.floor(fy));
    const x1 = Math.min(size, Math.ceil(fx + fw));
    const y1 = Math.min(size, Math.ceil(fy + fh));
    for (let py = y0; py < y1; py++) {
      for (let px = x0; px < x1; px++) {
        sub.forEach((sy, j) => {
          const v = (py + sy - fy) / fh;
          if (v < 0 || v > 1) return;
          sub.forEach((sx, i) => {
            const u = (px + sx - fx) / fw;
            if (u >= 0 && u <= 1 && insideShape(o.kind, u, v))
              owner[(py * size + px) * 4 + j * 2 + i] = o.classIndex;
          });
        });
      }
    }
  }
  for (let p = 0; p < size * size; p++) {
    for (let k = 0; k < 4; k++) {
      const c = owner[p * 4 + k]!;
      if (c >= 0) out[p * numClasses + c]! += 0.25;
    }
  }
  return out;
}

function paintBackground(scene: Scene, img: Uint8Array): void {
  const size = scene.size;
  const rng = new Xoshiro128(...scene.noiseSeed);
  const [r, g, b] = scene.base;
  // Gratings are separable: A·sin(ax + by + φ) = A·(sin(ax)·cos(by + φ) + cos(ax)·sin(by + φ)),
  // so each needs 4·size sines instead of one per pixel.
  const tables = scene.gratings.map((gr) => {
    const sx = new Float64Array(size);
    const cx = new Float64Array(size);
    const sy = new Float64Array(size);
    const cy = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      sx[i] = gr.amplitude * Math.sin(2 * Math.PI * gr.fx * i);
      cx[i] = gr.amplitude * Math.cos(2 * Math.PI * gr.fx * i);
      sy[i] = Math.sin(2 * Math.PI * gr.fy * i + gr.phase);
      cy[i] = Math.cos(2 * Math.PI * gr.fy * i + gr.phase);
    }
    return { sx, cx, sy, cy };
  });
  const row = new Float64Array(size);
  const noise = scene.noise;
  for (let y = 0; y < size; y++) {
    row.fill(0);
    for (const t of tables) {
      const syv = t.sy[y] as number;
      const cyv = t.cy[y] as number;
      for (let x = 0; x < size; x++)
        row[x] = (row[x] as number) + (t.sx[x] as number) * cyv + (t.cx[x] as number) * syv;
    }
    let p = y * size * 3;
    for (let x = 0; x < size; x++) {
      let shade = row[x] as number;
      if (noise) shade += (rng.nextUint32() / 2147483648 - 1) * noise;
      img[p++] = clamp(r + shade);
      img[p++] = clamp(g + shade);
      img[p++] = clamp(b + shade);
    }
  }
}

function clamp(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
