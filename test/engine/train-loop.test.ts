import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Scalar, Tensor } from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "../../src/engine/backend.js";
import { ParamStore } from "../../src/engine/nn/params.js";
import { Rng } from "../../src/engine/nn/rng.js";
import { tf } from "../../src/engine/tf.js";
import { type TrainEvent, type TrainHook, type TrainTask, train } from "../../src/engine/train/loop.js";
import { Optimizer } from "../../src/engine/train/optimizer.js";
import { epochBatch } from "../../src/engine/train/sampling.js";
import { learningRate } from "../../src/engine/train/schedule.js";

beforeAll(async () => {
  await selectBackend("wasm");
});

/** Linear regression y = x·w on a fixed seeded dataset: tiny, but with data order and noise. */
function regressionTask(seed: number): TrainTask<{ x: Tensor; y: Tensor }> & { data: Float32Array } {
  const rng = new Rng(99);
  const n = 40;
  const data = new Float32Array(n * 4);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  const params = new ParamStore(new Rng(seed));
  params.dense("w", 3, 1);
  params.constant("b", [1], 0);
  return {
    data,
    params,
    nextBatch: (ctx) => {
      const idx = epochBatch(n, 8, ctx.iter, seed);
      const xs = idx.flatMap((i) => [data[4 * i]!, data[4 * i + 1]!, data[4 * i + 2]!]);
      const ys = idx.map((i) => 2 * data[4 * i]! - data[4 * i + 1]! + 0.1 * data[4 * i + 3]!);
      return { x: tf.tensor2d(xs, [8, 3]), y: tf.tensor2d(ys, [8, 1]) };
    },
    losses: (_ctx, b) => ({
      loss_mse: tf.mean(
        tf.square(
          tf.sub(tf.add(tf.matMul(b.x as tf.Tensor2D, params.get("w") as tf.Tensor2D), params.get("b")), b.y),
        ),
      ) as Scalar,
    }),
    disposeBatch: (b) => tf.dispose([b.x, b.y]),
  };
}

function losses(events: TrainEvent[]): number[] {
  return events.flatMap((e) => (e.type === "progress" ? [e.loss] : []));
}

const CFG = { iterations: 12, lr: 0.05, optimizer: { kind: "sgd" as const, momentum: 0.9 }, seed: 3 };

describe("train loop", () => {
  it("is deterministic for a seed, and learns", async () => {
    const runs: number[][] = [];
    for (let r = 0; r < 2; r++) {
      const events: TrainEvent[] = [];
      const task = regressionTask(3);
      await train(task, CFG, [], { onEvent: (e) => events.push(e) });
      runs.push(losses(events));
      task.params.dispose();
    }
    expect(runs[0]).toHaveLength(12);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[0]![11]!).toBeLessThan(runs[0]![0]! / 4);
  });

  it("clips the global gradient norm to train.grad_clip_norm and reports the norm before clipping", async () => {
    const one = { ...CFG, iterations: 1, optimizer: { kind: "sgd" as const, momentum: 0 } };
    const oneStep = async (gradClipNorm?: number) => {
      const task = regressionTask(3);
      const before = task.params.snapshot();
      const events: TrainEvent[] = [];
      await train(
        task,
        { ...one, ...(gradClipNorm ? { gradClipNorm } : {}), schedule: { type: "constant", warmup: 0 } },
        [],
        {
          onEvent: (e) => events.push(e),
        },
      );
      const after = task.params.snapshot();
      let sq = 0;
      after.forEach((v, n) => {
        const b = before[n]!.values;
        for (let i = 0; i < v.values.length; i++) sq += (v.values[i]! - b[i]!) ** 2;
      });
      task.params.dispose();
      const progress = events.find((e) => e.type === "progress") as Record<string, unknown>;
      return { step: Math.sqrt(sq), progress };
    };
    const free = await oneStep();
    const gradNorm = free.step / one.lr; // plain SGD: the step is lr · g
    expect(free.progress.grad_norm).toBeUndefined();
    expect(gradNorm).toBeGreaterThan(0.1);
    const clipped = await oneStep(0.01);
    expect(clipped.step / one.lr).toBeCloseTo(0.01, 5);
    expect(clipped.progress.grad_norm as number).toBeCloseTo(gradNorm, 3);
    // A ceiling above the norm changes nothing.
    const loose = await oneStep(gradNorm * 2);
    expect(loose.step).toBeCloseTo(free.step, 6);
  });

  it("resumes from its last checkpoint exactly where it stopped", async () => {
    const straight: TrainEvent[] = [];
    const t0 = regressionTask(3);
    await train(t0, { ...CFG, schedule: { type: "cosine", warmup: 2 } }, [], {
      onEvent: (e) => straight.push(e),
    });
    t0.params.dispose();

    const dir = mkdtempSync(join(tmpdir(), "ls-ckpt-"));
    const first: TrainEvent[] = [];
    const controller = new AbortController();
    const t1 = regressionTask(3);
    const r1 = await train(
      t1,
      { ...CFG, schedule: { type: "cosine", warmup: 2 }, checkpointDir: dir, checkpointEvery: 4 },
      [],
      {
        onEvent: (e) => {
          first.push(e);
          if (e.type === "progress" && e.iter === 7) controller.abort();
        },
        signal: controller.signal,
      },
    );
    t1.params.dispose();
    expect(r1).toMatchObject({ stopped: true, iterations: 7 });
    expect(first.at(-1)).toMatchObject({ type: "stopped", iter: 7 });
    expect(readdirSync(dir)).toContain("latest.json");

    const second: TrainEvent[] = [];
    const t2 = regressionTask(3);
    const r2 = await train(
      t2,
      { ...CFG, schedule: { type: "cosine", warmup: 2 }, checkpointDir: dir, checkpointEvery: 4 },
      [],
      {
        onEvent: (e) => second.push(e),
      },
    );
    t2.params.dispose();
    expect(second[0]).toMatchObject({ type: "resume", iter: 7 });
    expect(r2).toMatchObject({ stopped: false, iterations: 12 });
    expect([...losses(first), ...losses(second)]).toEqual(losses(straight));
  });

  it("adds hook loss terms inside the gradient tape and checkpoints hook state", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-hook-"));
    const seen: number[] = [];
    let restored: unknown = null;
    const hook = (): TrainHook<{ x: Tensor; y: Tensor }> => ({
      name: "l2",
      losses: (ctx) => ({ loss_l2: tf.mul(tf.sum(tf.square(ctx.params.get("w"))), 0.5) as Scalar }),
      afterStep: (_ctx, rec) => {
        seen.push(rec.iter);
      },
      saveState: () => ({
        json: { count: seen.length },
        arrays: [{ name: "x", shape: [2], values: new Float32Array([1, 2]) }],
      }),
      loadState: (s) => {
        restored = s;
      },
    });
    const events: TrainEvent[] = [];
    const t = regressionTask(3);
    await train(t, { ...CFG, iterations: 3, checkpointDir: dir }, [hook()], {
      onEvent: (e) => events.push(e),
    });
    t.params.dispose();
    const p = events.find((e) => e.type === "progress") as unknown as Record<string, number>;
    expect(Object.keys(p).sort()).toEqual([
      "iter",
      "loss",
      "loss_l2",
      "loss_mse",
      "lr",
      "ms",
      "total",
      "type",
    ]);
    expect(p.loss).toBeCloseTo(p.loss_l2! + p.loss_mse!, 5);
    expect(seen).toEqual([1, 2, 3]);
    const t2 = regressionTask(3);
    await train(t2, { ...CFG, iterations: 3, checkpointDir: dir }, [hook()]);
    t2.params.dispose();
    expect(restored).toMatchObject({ json: { count: 3 }, arrays: [{ name: "x", shape: [2] }] });
  });

  it("stops with a clear error when the loss diverges", async () => {
    const t = regressionTask(3);
    await expect(train(t, { ...CFG, lr: 1e6 })).rejects.toThrow(/diverged at iteration \d+/);
    t.params.dispose();
  });
});

describe("schedules", () => {
  it("step decays at fractional milestones; cosine ends at the floor; warm-up ramps linearly", () => {
    const step = { type: "step" as const, steps: [0.5, 0.75] };
    expect(learningRate(1, 49, 100, step)).toBe(1);
    expect(learningRate(1, 50, 100, step)).toBeCloseTo(0.1);
    expect(learningRate(1, 80, 100, step)).toBeCloseTo(0.01);
    expect(learningRate(1, 0, 100, { type: "cosine" })).toBe(1);
    expect(learningRate(1, 99, 100, { type: "cosine", minFactor: 0.1 })).toBeCloseTo(0.1);
    expect(learningRate(1, 0, 100, { type: "constant", warmup: 10, warmupFactor: 0 })).toBe(0);
    expect(learningRate(1, 5, 100, { type: "constant", warmup: 10, warmupFactor: 0 })).toBeCloseTo(0.5);
    expect(learningRate(1, 10, 100, { type: "constant", warmup: 10 })).toBe(1);
  });
});

describe("optimisers", () => {
  it("SGD with momentum and weight decay follows PyTorch's update", () => {
    const params = new ParamStore(new Rng(1));
    params.fixed("p", [1], new Float32Array([1]), true);
    const opt = new Optimizer({ kind: "sgd", momentum: 0.9, weightDecay: 0.1 }, params);
    const g = () => new Map([["p", tf.tensor1d([0.5])]]);
    let grads = g();
    opt.apply(grads, 0.1); // buf = 0.5 + 0.1 = 0.6; p = 1 − 0.06 = 0.94
    tf.dispose([...grads.values()]);
    expect(params.get("p").dataSync()[0]).toBeCloseTo(0.94, 6);
    grads = g();
    opt.apply(grads, 0.1); // g = 0.5 + 0.094 = 0.594; buf = 0.54 + 0.594 = 1.134; p = 0.94 − 0.1134
    tf.dispose([...grads.values()]);
    expect(params.get("p").dataSync()[0]).toBeCloseTo(0.8266, 5);
    opt.dispose();
    params.dispose();
  });

  it("Adam's first step moves each weight by lr·sign(g); AdamW decays weights apart from the gradient", () => {
    const params = new ParamStore(new Rng(1));
    params.fixed("p", [2], new Float32Array([1, -1]), true);
    const adam = new Optimizer({ kind: "adam" }, params);
    const grads = new Map([["p", tf.tensor1d([3, -0.2])]]);
    adam.apply(grads, 0.01);
    expect([...params.get("p").dataSync()].map((v) => Number(v.toFixed(5)))).toEqual([0.99, -0.99]);
    const adamw = new Optimizer({ kind: "adamw", weightDecay: 0.5 }, params);
    adamw.apply(grads, 0.01); // 0.99 − 0.01 − 0.01·0.5·0.99
    expect(params.get("p").dataSync()[0]).toBeCloseTo(0.99 - 0.01 - 0.00495, 5);
    tf.dispose([...grads.values()]);
    adam.dispose();
    adamw.dispose();
    params.dispose();
  });
});

describe("SIGTERM", () => {
  it("finishes the step, checkpoints and returns (child process, built dist)", async () => {
    const { spawn } = await import("node:child_process");
    const { readFileSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "ls-term-"));
    const child = spawn(process.execPath, ["test/fixtures/engine/sigterm-train.mjs", dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    let signalled = false;
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (!signalled && out.includes('"iter":3,')) {
        signalled = true;
        child.kill("SIGTERM");
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    const events = out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; iter?: number; reason?: string; stopped?: boolean });
    expect(code).toBe(0);
    const stopped = events.find((e) => e.type === "stopped");
    expect(stopped).toMatchObject({ reason: "SIGTERM" });
    expect(events.at(-1)).toMatchObject({ type: "result", stopped: true });
    const latest = JSON.parse(readFileSync(join(dir, "latest.json"), "utf8")) as { iter: number };
    expect(latest.iter).toBe(stopped!.iter);
  });
});

describe("method plumbing", () => {
  it("a hook's setup adds trainable parameters before a checkpoint is restored", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-setup-"));
    const hook = (): TrainHook<{ x: Tensor; y: Tensor }> => ({
      name: "extra",
      setup: (ctx) => {
        ctx.params.constant("extra.scale", [1], 1);
      },
      losses: (ctx) => ({
        loss_extra: tf.square(tf.sub(tf.sum(ctx.params.get("extra.scale")), 3)) as Scalar,
      }),
    });
    const t1 = regressionTask(3);
    await train(t1, { ...CFG, iterations: 4, checkpointDir: dir }, [hook()]);
    const trained = t1.params.get("extra.scale").dataSync()[0]!;
    expect(trained).toBeGreaterThan(1);
    t1.params.dispose();
    const t2 = regressionTask(3);
    const events: TrainEvent[] = [];
    await train(t2, { ...CFG, iterations: 4, checkpointDir: dir }, [hook()], {
      onEvent: (e) => events.push(e),
    });
    expect(events[0]).toMatchObject({ type: "resume", iter: 4 });
    expect(t2.params.get("extra.scale").dataSync()[0]).toBeCloseTo(trained, 6);
    t2.params.dispose();
  });

  it("an extra step takes its own gradient step after the main one, over the parameters its loss reaches", async () => {
    // The main step fits w and b; the extra step pulls the hook's own parameter c towards 3
    // (a parameter the main loss never reaches), on odd iterations only.
    const wAtExtra: number[] = [];
    const wAfter: number[] = [];
    const cAfter: number[] = [];
    const hook = (): TrainHook<{ x: Tensor; y: Tensor }> => ({
      name: "second",
      setup: (ctx) => {
        ctx.params.constant("c", [1], 0);
      },
      extraStep: (ctx) => {
        wAtExtra.push(ctx.params.get("w").dataSync()[0]!);
        if (ctx.iter % 2 === 0) return null;
        return {
          losses: () => ({ loss_extra: tf.square(tf.sub(tf.sum(ctx.params.get("c")), 3)) as Scalar }),
        };
      },
      afterStep: (ctx) => {
        wAfter.push(ctx.params.get("w").dataSync()[0]!);
        cAfter.push(ctx.params.get("c").dataSync()[0]!);
      },
    });
    const events: TrainEvent[] = [];
    const t = regressionTask(3);
    await train(t, { ...CFG, iterations: 4, optimizer: { kind: "sgd" } }, [hook()], {
      onEvent: (e) => events.push(e),
    });
    const progress = events.filter((e) => e.type === "progress") as unknown as Record<string, number>[];
    expect(progress.map((p) => "loss_extra" in p)).toEqual([false, true, false, true]);
    // The extra step sees the main step's update (and leaves w alone).
    expect(wAtExtra).toEqual(wAfter);
    // Plain SGD, lr 0.05: c ← c − 0.05·2(c − 3) on iterations 2 and 4 only.
    expect(cAfter[0]).toBe(0);
    expect(cAfter[1]).toBeCloseTo(0.3, 6);
    expect(cAfter[2]).toBeCloseTo(0.3, 6);
    expect(cAfter[3]).toBeCloseTo(0.3 + 0.05 * 2 * 2.7, 6);
    expect(progress[1]!.loss).toBeCloseTo(progress[1]!.loss_mse! + progress[1]!.loss_extra!, 5);
    t.params.dispose();
  });

  it("counts Adam steps per parameter: one skipped in a step keeps its own bias correction", () => {
    // Optimiser A updates (a, b), then a alone, then (a, b); optimiser B updates b alone twice with
    // the same gradients: b must end identical, and A's checkpointed counts say a: 3, b: 2.
    const make = () => {
      const p = new ParamStore(new Rng(1));
      p.fixed("a", [1], new Float32Array([1]), true);
      p.fixed("b", [1], new Float32Array([1]), true);
      return p;
    };
    const pa = make();
    const pb = make();
    const a = new Optimizer({ kind: "adam" }, pa);
    const b = new Optimizer({ kind: "adam" }, pb);
    const g = (v: number) => tf.tensor1d([v]);
    a.apply(
      new Map([
        ["a", g(1)],
        ["b", g(0.5)],
      ]),
      0.1,
    );
    a.apply(new Map([["a", g(2)]]), 0.1);
    a.apply(
      new Map([
        ["a", g(1)],
        ["b", g(-2)],
      ]),
      0.1,
    );
    b.apply(new Map([["b", g(0.5)]]), 0.1);
    b.apply(new Map([["b", g(-2)]]), 0.1);
    expect(pa.get("b").dataSync()[0]).toBe(pb.get("b").dataSync()[0]);
    const state = a.state();
    const count = (n: string) => state.slots.find((s) => s.name === n)?.values[0];
    expect([count("a.step"), count("b.step"), state.step]).toEqual([3, 2, 3]);
    const c = new Optimizer({ kind: "adam" }, make());
    c.load(state);
    expect(c.state().slots.find((s) => s.name === "b.step")?.values[0]).toBe(2);
    for (const o of [a, b, c]) o.dispose();
    pa.dispose();
    pb.dispose();
  });

  it("parameter groups scale the rate by name prefix; frozen parameters stay put", () => {
    const params = new ParamStore(new Rng(1));
    params.fixed("a.w", [1], new Float32Array([1]), true);
    params.fixed("b.w", [1], new Float32Array([1]), true);
    params.fixed("c.w", [1], new Float32Array([1]), true);
    params.freeze("c.");
    const opt = new Optimizer({ kind: "sgd", groups: [{ prefix: "b.", lrScale: 10 }] }, params);
    const grads = new Map(["a.w", "b.w", "c.w"].map((n) => [n, tf.tensor1d([1])]));
    opt.apply(grads, 0.01);
    expect(params.get("a.w").dataSync()[0]).toBeCloseTo(0.99, 6);
    expect(params.get("b.w").dataSync()[0]).toBeCloseTo(0.9, 6);
    expect(params.get("c.w").dataSync()[0]).toBe(1);
    tf.dispose([...grads.values()]);
    opt.dispose();
    params.dispose();
  });
});
