import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runTfjsEngine } from "../../../src/engine/run-tfjs.js";
import { arraySource, type DetectionSample } from "../../../src/engine/samples.js";
import type { TrainEvent } from "../../../src/engine/train/loop.js";
import type { JsonObject, RunConfig } from "../../../src/spec/types.js";
import { scene } from "../synthetic.js";

// Every semi-supervised method trains through the engine's run entry point on
// tiny scenes, resumes bit-exactly after a stop, never lets the unlabelled
// images' boxes reach training, and records its choices in provenance.

const S = 32;

function samples(n: number, offset: number): DetectionSample[] {
  return Array.from({ length: n }, (_, i) => {
    const s = scene(offset + i, S, 3);
    return { imageId: offset + i, width: S, height: S, image: s.image, boxes: s.boxes, classes: s.classes };
  });
}

function config(arch: string, method: JsonObject): RunConfig {
  return {
    dataset: { name: "shapes", image_size: S },
    labels: { protocol: "budget", fraction: 0.5 },
    detector: { arch, width: 8, levels: 3 },
    method,
    train: {
      iterations: 6,
      batch: 4,
      lr: 0.003,
      optimizer: "adam",
      schedule: { type: "constant", warmup: 0 },
      checkpoint_every: 2,
      unlabeled_ratio: 1,
      augment: { flip: true, scale_jitter: [0.8, 1.2] },
    },
    engine: { name: "tfjs", backend: "wasm" },
    eval: { type: "coco" },
    seed: 3,
  } as unknown as RunConfig;
}

const labelled = samples(6, 0);
const unlabelled = samples(10, 100);
/** The same unlabelled images with every box moved and relabelled. */
const scrambled = unlabelled.map((s, i) => ({
  ...s,
  boxes: s.boxes.map((b, j) => [(b[0]! + 7 * (i + j)) % 20, (b[1]! + 3) % 20, 5 + j, 9] as number[]),
  classes: s.classes.map((c) => (c + 1) % 3),
}));
const evalSet = samples(3, 200);

type Case = { name: string; arch: string; method: JsonObject };
const CASES: Case[] = [
  {
    name: "csd (softmax, ssd-lite)",
    arch: "ssd-lite",
    method: { name: "csd", ramp_up: 0.3, ramp_down: 0.8 },
  },
  {
    name: "csd (sigmoid, retinanet-lite, js, both)",
    arch: "retinanet-lite",
    method: { name: "csd", divergence: "js", background_elimination: "both", be_threshold: 0.005 },
  },
  { name: "sed (soft)", arch: "retinanet-lite", method: { name: "sed", burn_in: 0.2, ema_decay: 0.9 } },
  {
    name: "sed (hard)",
    arch: "retinanet-lite",
    method: { name: "sed", burn_in: 0.2, targets: "hard", hard_threshold: 0.01 },
  },
  {
    name: "mean-teacher",
    arch: "ssd-lite",
    method: { name: "mean-teacher", burn_in: 0.3, threshold: 0.05, ema_decay: 0.9 },
  },
  {
    name: "pseudo-label (offline)",
    arch: "retinanet-lite",
    method: { name: "pseudo-label", burn_in: 0.3, threshold: 0.02 },
  },
  {
    name: "pseudo-label (online)",
    arch: "ssd-lite",
    method: { name: "pseudo-label", mode: "online", burn_in: 0.2, threshold: 0.05 },
  },
];

async function train(
  c: Case,
  opts: { stopAt?: number; resume?: boolean; dir?: string; unl?: DetectionSample[] } = {},
) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "ls-ssl-"));
  const events: TrainEvent[] = [];
  const stop = new AbortController();
  const outcome = await runTfjsEngine(
    config(c.arch, c.method),
    {
      categoryIds: [1, 2, 3],
      labelled: arraySource(labelled),
      unlabelled: arraySource(opts.unl ?? unlabelled),
      eval: arraySource(evalSet),
    },
    {
      dir,
      resume: opts.resume ?? false,
      signal: stop.signal,
      onEvent: (e) => {
        events.push(e);
        if (e.type === "progress" && e.iter === opts.stopAt) stop.abort();
      },
    },
  );
  const progress = events.filter((e) => e.type === "progress") as Extract<TrainEvent, { type: "progress" }>[];
  return { dir, outcome, events, progress };
}

describe.each(CASES)("$name", (c) => {
  it("trains, resumes bit-exactly after a stop, ignores unlabelled boxes, records provenance", async () => {
    const full = await train(c);
    expect(full.outcome.kind).toBe("predictions");
    const losses = full.progress.map((e) => e.loss);
    expect(losses).toHaveLength(6);
    expect(losses.every(Number.isFinite)).toBe(true);
    // The semi-supervised terms appear once the warm-up is over.
    const names = new Set(full.progress.flatMap((e) => Object.keys(e)));
    expect([...names].some((n) => /^loss_(con|same|cross|u)_/.test(n))).toBe(true);
    expect(full.outcome.method).toMatchObject({ method: c.method.name });

    // Stop after step 3, resume: the same losses and the same predictions, bit for bit.
    const first = await train(c, { stopAt: 3 });
    expect(first.outcome.kind).toBe("stopped");
    const second = await train(c, { dir: first.dir, resume: true });
    expect(second.events[0]).toMatchObject({ type: "resume", iter: 3 });
    expect([...first.progress, ...second.progress].map((e) => e.loss)).toEqual(losses);
    expect(readFileSync(join(second.dir, "predictions.json"), "utf8")).toBe(
      readFileSync(join(full.dir, "predictions.json"), "utf8"),
    );

    // Every box of every unlabelled image scrambled: bit-identical losses.
    const blind = await train(c, { unl: scrambled });
    expect(blind.progress.map((e) => e.loss)).toEqual(losses);
  }, 240_000);
});

describe("the unlabelled loss's normaliser (mean-teacher)", () => {
  it("at-least-labelled divides by the labelled foreground count when the teacher finds no box", async () => {
    // A threshold no score reaches: no pseudo-box, so the unlabelled loss is all background.
    const method = { name: "mean-teacher", burn_in: 0.3, threshold: 0.999, ema_decay: 0.9 };
    const run = async (unlabelled_norm: string) => {
      const r = await train({
        name: unlabelled_norm,
        arch: "retinanet-lite",
        method: { ...method, unlabelled_norm },
      });
      return r.progress.find((e) => "loss_u_cls" in e)! as unknown as Record<string, number>;
    };
    const own = await run("pseudo");
    const capped = await run("at-least-labelled");
    // Identical up to the first unlabelled step: the same supervised terms there.
    expect(capped.iter).toBe(own.iter);
    expect(capped.loss_cls).toBe(own.loss_cls);
    // Over 1 (no pseudo foreground) vs over the labelled images' foreground anchors: an integer ratio above 1.
    const ratio = own.loss_u_cls! / capped.loss_u_cls!;
    expect(ratio).toBeGreaterThan(1);
    expect(Math.abs(ratio - Math.round(ratio))).toBeLessThan(1e-3 * ratio);
  }, 240_000);
});
