import type { Spec, SweepSpec } from "../../src/spec/types.js";
import type { CodeIdentity } from "../../src/sweep/code-identity.js";

/** A small loaded spec (defaults written out, as the loader leaves them) with the given sweep. */
export function specWith(sweep?: SweepSpec, over: Partial<Spec> = {}): Spec {
  return {
    name: "unit",
    description: "fixture",
    dataset: { name: "shapes", seed: 0, train_images: 200, eval_images: 50, image_size: 64, classes: 6 },
    labels: { protocol: "budget", fraction: 0.1, fold: 1, nested: true, compat: "labelsweep" },
    detector: { arch: "ssd-lite", width: 16, levels: 3 },
    method: { name: "csd", weight: 1, ramp_up: 0.267 },
    train: { iterations: 100, batch: 8, lr: 0.01, schedule: { type: "step", steps: [0.667, 0.889] } },
    engine: { name: "tfjs", backend: "auto" },
    eval: { type: "coco" },
    seed: 0,
    ...(sweep ? { sweep } : {}),
    ...over,
  };
}

/** A code identity whose hash is `c` repeated (tests that key plans without reading any code). */
export function fixedIdentity(c: string): () => CodeIdentity {
  const identity: CodeIdentity = {
    hash: c.repeat(64),
    manifest: { engine: "tfjs", labelsweep: "0.0.0", files: {}, packages: {} },
    notes: [],
  };
  return () => identity;
}
