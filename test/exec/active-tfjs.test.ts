import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { annotationsOf, resolveShapesSpec, shapesDataset } from "../../src/data/index.js";
import { runCli } from "../helpers/cli.js";

// Active learning on the built-in tfjs engine, end to end through the built
// CLI: tiny ssd-lite chains (2 seeds × 3 cycles, --jobs 2) whose cycles score
// their pool with the trained detector (entropy, flip consistency) and choose
// the next images with `combined`.

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));

/** A tiny ssd-lite active-learning spec in a new folder: `name`, the shapes pool size, the labels block, the seeds. */
function writeSpec(
  name: string,
  trainImages: number,
  labels: string,
  seeds: string,
): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), `ls-${name}-`));
  const file = join(dir, "spec.yaml");
  writeFileSync(
    file,
    `name: ${name}
dataset: { name: shapes, train_images: ${trainImages}, eval_images: ${trainImages / 4}, image_size: 32, classes: 2, objects_per_image: [1, 2], scale: [0.2, 0.8] }
labels: { protocol: active, ${labels} }
detector: { arch: ssd-lite, width: 8 }
method: { name: supervised }
train: { iterations: 2, batch: 4, lr: 0.005, checkpoint_every: 2, schedule: { type: constant, warmup: 0 } }
engine: { name: tfjs, backend: wasm }
eval: { type: coco }
sweep: { seeds: ${seeds} }
table: { rows: [method.name], columns: [labels.cycle], metric: AP50 }
`,
  );
  return { dir, file };
}

/** A 16-image, one-cycle pseudo-labelling chain run through the CLI: its two cycles' run folders. */
async function pseudoChain(name: string, pseudoLabels: string): Promise<[string, string]> {
  // A threshold this low pseudo-labels every pool image with a detection: the mechanics, not a tuned value.
  const { dir, file } = writeSpec(
    name,
    16,
    `initial: { count: 6 }, per_cycle: { count: 3 }, cycles: 1, acquisition: entropy, pseudo_labels: ${pseudoLabels}`,
    "[0]",
  );
  const r = await runCli(["run", file], { cwd: dir });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  const plan = JSON.parse((await runCli(["plan", file, "--json"], { cwd: dir })).stdout) as {
    runs: { key: string }[];
  };
  const [first, second] = plan.runs.map((x) => join(dir, "results", name, "runs", x.key));
  return [first!, second!];
}

describe("active learning on the tfjs engine", () => {
  it("scores the pool after each cycle and grows the next cycle's split from the selection", async () => {
    const { dir, file } = writeSpec(
      "al-tfjs",
      24,
      "initial: { count: 8 }, per_cycle: { count: 4 }, cycles: 2, acquisition: combined, prefilter: 2",
      "2",
    );
    const r = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("6 runs: 6 done now, 0 failed.");
    const plan = JSON.parse((await runCli(["plan", file, "--json"], { cwd: dir })).stdout) as {
      runs: { key: string; cycle: number; status: string }[];
    };
    expect(plan.runs.map((x) => x.status)).toEqual(Array(6).fill("done"));
    const runDir = (key: string) => join(dir, "results", "al-tfjs", "runs", key);
    for (const chain of [plan.runs.slice(0, 3), plan.runs.slice(3)]) {
      for (const [cycle, run] of chain.entries()) {
        const d = runDir(run.key);
        const record = readJson(join(d, "run.json"));
        const labelled = readJson(record.split.files.annotations).images.map((i: { id: number }) => i.id);
        expect(labelled).toHaveLength(8 + 4 * cycle);
        expect(record.provenance.active).toMatchObject({ cycle, acquisition: "combined", prefilter: 2 });
        if (cycle === 2) {
          expect(existsSync(join(d, "pool-scores.json"))).toBe(false);
          continue;
        }
        const pool = readJson(record.split.files.unlabeled).images.map((i: { id: number }) => i.id);
        const scores = readJson(join(d, "pool-scores.json")) as {
          image_id: number;
          entropy: number;
          consistency: number;
          detections: number;
        }[];
        expect(scores.map((s) => s.image_id).sort((a, b) => a - b)).toEqual([...pool].sort((a, b) => a - b));
        for (const s of scores) {
          expect(s.entropy).toBeGreaterThanOrEqual(0);
          expect(s.entropy).toBeLessThanOrEqual(1);
          expect(s.consistency).toBeGreaterThanOrEqual(0);
          // No kept detection (score ≥ 0.5), no score (AL-SSL: 0).
          if (s.detections === 0) expect([s.entropy, s.consistency]).toEqual([0, 0]);
        }
        const sel = readJson(join(d, "selection.json"));
        expect(sel.selected).toHaveLength(4);
        expect(sel.selected.some((id: number) => labelled.includes(id))).toBe(false);
        const next = readJson(join(runDir(chain[cycle + 1]!.key), "run.json"));
        const nextLabelled = readJson(next.split.files.annotations).images.map((i: { id: number }) => i.id);
        expect(new Set(nextLabelled)).toEqual(new Set([...labelled, ...sel.selected]));
      }
    }
  });

  it("cycle_init continue: each cycle starts from its parent's final weights, recorded by hash, and re-keys", async () => {
    const { dir, file } = writeSpec(
      "al-continue",
      16,
      "initial: { count: 6 }, per_cycle: { count: 3 }, cycles: 1, acquisition: random, cycle_init: continue",
      "[0]",
    );
    const keys = async (...extra: string[]) =>
      (
        JSON.parse((await runCli(["plan", file, "--json", ...extra], { cwd: dir })).stdout) as {
          runs: { key: string }[];
        }
      ).runs.map((x) => x.key);
    const reinit = await keys("--set", "labels.cycle_init=reinit");
    const r = await runCli(["run", file], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const [first, second] = await keys();
    expect([first, second].some((k) => reinit.includes(k!))).toBe(false);
    const runDir = (key: string) => join(dir, "results", "al-continue", "runs", key);
    expect(readJson(join(runDir(first!), "run.json")).provenance.active).toMatchObject({
      cycle: 0,
      cycle_init: "continue",
      init_from: null,
    });
    // The parent's final checkpoint, as the child found it.
    const ckpts = join(runDir(first!), "checkpoints");
    const blob = readJson(join(ckpts, "latest.json")).header.replace(/\.json$/, ".bin");
    const sha = createHash("sha256")
      .update(readFileSync(join(ckpts, blob)))
      .digest("hex");
    expect(readJson(join(runDir(second!), "run.json")).provenance.active).toMatchObject({
      cycle: 1,
      cycle_init: "continue",
      init_from: first,
      init_weights_sha256: sha,
    });
  });

  it("pseudo_labels: a cycle's confident unselected pool images train the next cycle, hashed and counted", async () => {
    const [first, second] = await pseudoChain("al-pseudo", "{ threshold: 0.011 }");
    const record0 = readJson(join(first!, "run.json"));
    const pool = readJson(record0.split.files.unlabeled).images.map((i: { id: number }) => i.id);
    const sel = readJson(join(first!, "selection.json"));
    const pseudo = readJson(join(first!, "pseudo-labels.json"));
    expect(pseudo).toMatchObject({ cycle: 0, threshold: 0.011, pseudo_boxes: "paper" });
    expect(pseudo.images.length).toBeGreaterThan(0);
    for (const e of pseudo.images) {
      expect(pool).toContain(e.image_id);
      expect(sel.selected).not.toContain(e.image_id);
      expect(e.boxes.length).toBe(e.category_ids.length);
      expect(Math.min(...e.scores)).toBeGreaterThanOrEqual(0.011);
    }
    // Every confident pool image is either selected (now labelled) or pseudo-labelled.
    const confident = readJson(join(first!, "pool-detections.json")).map(
      (e: { image_id: number }) => e.image_id,
    );
    expect(
      new Set([
        ...pseudo.images.map((e: { image_id: number }) => e.image_id),
        ...sel.selected.filter((i: number) => confident.includes(i)),
      ]),
    ).toEqual(new Set(confident));
    expect(sel.pseudo).toEqual({ count: pseudo.images.length, sha256: pseudo.sha256 });
    expect(record0.provenance.active.pseudo_labels).toMatchObject({
      trained_with: 0,
      produced: pseudo.images.length,
    });
    const record1 = readJson(join(second!, "run.json"));
    expect(record1.parents[0].pseudo_sha256).toBe(pseudo.sha256);
    expect(record1.provenance.active.pseudo_labels).toMatchObject({
      trained_with: pseudo.images.length,
      trained_with_sha256: pseudo.sha256,
      produced: null,
    });
  });

  it("pseudo_boxes code: the pseudo-labelled images train on their annotated boxes, not the detections", async () => {
    const [first, second] = await pseudoChain("al-pseudo-code", "{ threshold: 0.011, pseudo_boxes: code }");
    const sel = readJson(join(first!, "selection.json"));
    const detected = readJson(join(first!, "pool-detections.json")) as { image_id: number }[];
    const pseudo = readJson(join(first!, "pseudo-labels.json"));
    expect(pseudo).toMatchObject({ cycle: 0, threshold: 0.011, pseudo_boxes: "code" });
    // The same images as the paper's variant would take: confident and not selected.
    expect(pseudo.images.map((e: { image_id: number }) => e.image_id)).toEqual(
      detected.map((e) => e.image_id).filter((id) => !sel.selected.includes(id)),
    );
    expect(pseudo.images.length).toBeGreaterThan(0);
    // writeSpec's dataset with 16 training images.
    const shapes = {
      train_images: 16,
      image_size: 32,
      classes: 2,
      objects_per_image: [1, 2] as [number, number],
    };
    const truth = shapesDataset(resolveShapesSpec({ name: "shapes", ...shapes, scale: [0.2, 0.8] }), "train");
    for (const e of pseudo.images) {
      const i = truth.images.ids.indexOf(e.image_id);
      const anns = [...annotationsOf(truth, i)];
      expect(e.boxes).toEqual(
        anns.map((a) => Array.from(truth.annotations.boxes.subarray(4 * a, 4 * a + 4))),
      );
      expect(e.category_ids).toEqual(
        anns.map((a) => truth.categories[truth.annotations.categoryIndex[a]!]!.id),
      );
    }
    const record1 = readJson(join(second!, "run.json"));
    expect(record1.parents[0].pseudo_sha256).toBe(pseudo.sha256);
    expect(record1.provenance.active.pseudo_labels.pseudo_boxes).toMatch(
      /^code: the images' annotated boxes/,
    );
    expect(record1.provenance.active.pseudo_labels.trained_with).toBe(pseudo.images.length);
  });
});
