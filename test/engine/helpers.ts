import type { Tensor } from "@tensorflow/tfjs-core";
import { expect } from "vitest";
import { tf } from "../../src/engine/tf.js";

/** Deterministic values in [-1, 1) (a tiny LCG), so cpu and wasm see identical inputs. */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Runs `fn` with `backend` active and returns its result's data as plain arrays. */
export async function on(backend: string, fn: () => Tensor | Tensor[]): Promise<Float32Array[]> {
  const before = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const out = tf.tidy(fn);
    const list = Array.isArray(out) ? out : [out];
    const data = list.map((t) => t.dataSync() as Float32Array);
    tf.dispose(list);
    return data;
  } finally {
    if (before) await tf.setBackend(before);
  }
}

/** |a - b| <= atol + rtol * max|b| element-wise, with a readable failure. */
export function expectClose(actual: Float32Array, expected: Float32Array, rtol = 1e-4, atol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    if (d > worst) {
      worst = d;
      at = i;
    }
  }
  const bound = atol + rtol * scale;
  expect(
    worst,
    `max |diff| ${worst} at ${at} (actual ${actual[at]}, expected ${expected[at]}), bound ${bound}`,
  ).toBeLessThanOrEqual(bound);
}
