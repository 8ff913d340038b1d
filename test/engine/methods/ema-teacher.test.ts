import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../../src/engine/backend.js";
import { EmaTeacher } from "../../../src/engine/methods/shared/ema-teacher.js";
import { ParamStore } from "../../../src/engine/nn/params.js";
import { Rng } from "../../../src/engine/nn/rng.js";
import { tf } from "../../../src/engine/tf.js";

function store(a: number[], b: number[]): ParamStore {
  const p = new ParamStore(new Rng(1));
  p.fixed("head.w", [a.length], Float32Array.from(a), true);
  p.fixed("backbone.w", [b.length], Float32Array.from(b), true);
  return p;
}

beforeAll(async () => {
  await selectBackend("cpu");
});

describe("EmaTeacher", () => {
  it("starts as a copy and moves by decay·t + (1 − decay)·s after each update", () => {
    const student = store([1, 2], [10]);
    const teacher = new EmaTeacher(student, { decay: 0.9 });
    expect(Array.from(teacher.params.get("head.w").dataSync())).toEqual([1, 2]);
    student.get("head.w").assign(tf.tensor1d([3, 6]));
    teacher.update();
    // 0.9·1 + 0.1·3 = 1.2 ; 0.9·2 + 0.1·6 = 2.4
    const [a, b] = Array.from(teacher.params.get("head.w").dataSync());
    expect(a).toBeCloseTo(1.2, 6);
    expect(b).toBeCloseTo(2.4, 6);
    teacher.update();
    // 0.9·1.2 + 0.1·3 = 1.38
    expect(teacher.params.get("head.w").dataSync()[0]).toBeCloseTo(1.38, 6);
    expect(teacher.params.trainable()).toHaveLength(0);
    teacher.dispose();
    student.dispose();
  });

  it("keeps its initial copy when updates are off (Scob's code) and restores from hook state", () => {
    const student = store([1, 2], [10]);
    const frozen = new EmaTeacher(student, { decay: 0.5, update: false, prefixes: ["head."] });
    student.get("head.w").assign(tf.tensor1d([5, 5]));
    frozen.update();
    expect(Array.from(frozen.params.get("head.w").dataSync())).toEqual([1, 2]);
    expect(frozen.params.vars.has("backbone.w")).toBe(false);

    const moving = new EmaTeacher(student, { decay: 0.5, prefixes: ["head."] });
    moving.update();
    const saved = moving.hook("t").saveState!();
    const restored = new EmaTeacher(store([0, 0], [0]), { decay: 0.5, prefixes: ["head."] });
    restored.hook("t").loadState!(saved);
    expect(Array.from(restored.params.get("head.w").dataSync())).toEqual([5, 5]);
    for (const t of [frozen, moving, restored]) t.dispose();
    student.dispose();
  });
});
