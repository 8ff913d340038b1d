// Every method of the engine's registry trains a few steps on the webgpu
// backend. The list comes from the registry itself (tfjsMethods()), so a
// method added later is covered without touching this file; what each one is
// given follows the compat table (src/spec/compat.ts METHOD_RULES): its first
// detector, its first label protocol, unlabelled images when it needs them.
// Skipped, with the reason in the title, where no Vulkan adapter exists.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { methodArchs, tfjsMethods } from "../../src/engine/methods/registry.js";
import { runTfjsEngine } from "../../src/engine/run-tfjs.js";
import { arraySource } from "../../src/engine/samples.js";
import { METHOD_RULES } from "../../src/spec/compat.js";
import type { JsonObject, MethodName, RunConfig } from "../../src/spec/types.js";
import { scene } from "./synthetic.js";
import { webgpuUnavailable } from "./webgpu-helpers.js";

const S = 32;
const C = 3;
const skip = await webgpuUnavailable();

/**
 * What a method needs beyond the compat table's archs / protocols /
 * unlabelled images (the table's own checks say so in validate): a method
 * whose config needs more adds one line here.
 */
const NEEDS: Partial<Record<MethodName, { detector?: JsonObject; method?: JsonObject }>> = {
  // The region-classifier teacher trains first (400 steps of 64 crops by default): two small steps here.
  richsem: { detector: { classifier: "embedding" }, method: { teacher_iterations: 2, teacher_batch: 4 } },
};

function configFor(name: MethodName): RunConfig {
  const rule = METHOD_RULES[name];
  const arch = methodArchs(name)[0]!;
  const protocol = rule.protocols?.[0] ?? (rule.needsUnlabeled ? "budget" : "full");
  return {
    dataset: { name: "shapes", image_size: S },
    labels: protocol === "budget" ? { protocol, fraction: 0.5 } : { protocol },
    detector: { arch, width: 4, levels: arch === "mlc-lite" ? 2 : 3, ...NEEDS[name]?.detector },
    method: { name, ...NEEDS[name]?.method },
    train: { iterations: 2, batch: 2, lr: 0.01, optimizer: "sgd", schedule: { type: "constant", warmup: 0 } },
    engine: { name: "tfjs", backend: "webgpu" },
    eval: { type: arch === "mlc-lite" ? "multilabel" : "coco" },
    seed: 3,
  } as RunConfig;
}

function images(from: number, n: number) {
  return Array.from({ length: n }, (_, i) => {
    const s = scene(from + i, S, C);
    return { imageId: from + i, width: S, height: S, image: s.image, boxes: s.boxes, classes: s.classes };
  });
}

function observedOf(samples: { positives: number[] }[]) {
  const labels = new Int8Array(samples.length * C);
  samples.forEach((s, i) => {
    for (const c of s.positives) labels[i * C + c] = 1;
  });
  return { numClasses: C, labels, meanPositives: 1.5 };
}

describe.skipIf(skip !== null)(`every method on webgpu${skip ? ` (skipped: ${skip})` : ""}`, () => {
  for (const name of tfjsMethods()) {
    it(`${name} trains two steps on webgpu and predicts`, async () => {
      const config = configFor(name);
      const single = config.labels.protocol === "single-positive";
      const labelled = images(1, 4).map((s) => ({
        ...s,
        positives: single ? [s.classes[0]!] : [...new Set(s.classes)],
      }));
      const unlabelled = images(50, 4).map(({ imageId, width, height, image }) => ({
        imageId,
        width,
        height,
        image,
      }));
      // Extra images with image-level labels only, as whole-image boxes (labels.extra).
      const extra = images(90, 2).map((s) => ({ ...s, boxes: [[0, 0, S, S]], classes: [s.classes[0]!] }));
      const losses: number[] = [];
      const out = await runTfjsEngine(
        config,
        {
          categoryIds: [1, 2, 3],
          labelled: arraySource(labelled),
          unlabelled: arraySource(unlabelled),
          extra: arraySource(extra),
          // Single-positive methods learn from the observed label of each image (+1, the rest unknown).
          ...(single ? { observed: observedOf(labelled) } : {}),
          eval: arraySource(labelled.slice(0, 1)),
        },
        {
          dir: mkdtempSync(join(tmpdir(), `ls-webgpu-${name}-`)),
          resume: false,
          onEvent: (e) => e.type === "progress" && losses.push(e.loss),
        },
      );
      expect(out.backend.name).toBe("webgpu");
      expect(out.kind).toBe("predictions");
      expect(losses).toHaveLength(2);
      expect(losses.every(Number.isFinite)).toBe(true);
    }, 300_000);
  }
});
