import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runCli, withoutPassWarnings } from "../helpers/cli.js";

// AN, ROLE and Scob end to end through the built CLI on a tiny single-positive
// shapes sweep: each run is stopped mid-way (SIGTERM to its worker after its
// first checkpoint), `labelsweep run` again resumes it, and its predictions are
// byte-identical to those of the same sweep run straight through elsewhere.

const SPEC = `name: spml-tiny
dataset: { name: shapes, seed: 2, train_images: 16, eval_images: 6, image_size: 48, classes: 4, objects_per_image: [2, 3], scale: [0.2, 0.5], cooccurrence: { pairs: [[0, 1]], probability: 0.8 } }
labels: { protocol: single-positive, fold: 1 }
detector: { arch: mlc-lite, width: 4, feature_dim: 8 }
method: { name: an }
train: { iterations: 40, batch: 4, lr: 0.002, optimizer: adam, weight_decay: 0, checkpoint_every: 2, schedule: { type: step, steps: [0.8], warmup: 0 } }
engine: { name: tfjs, backend: wasm }
eval: { type: multilabel }
sweep:
  grid:
    method: [{ name: an }, { name: role }, { name: scob }]
table: { rows: [method.name], columns: [labels.protocol], metric: [mAP, CF1, OF1] }
`;

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "ls-spml-run-"));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "spec.yaml"), SPEC);
  return dir;
}

const runsOf = (dir: string) => join(dir, "results", "spml-tiny", "runs");
const json = (path: string) => JSON.parse(readFileSync(path, "utf8"));
const events = (run: string) =>
  readFileSync(join(run, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string; iter?: number; resume?: boolean });

describe("labelsweep run: single-positive methods", () => {
  it("trains AN, ROLE and Scob, stops each mid-way, resumes them, and matches a straight run bit for bit", async () => {
    const straight = workspace();
    const s = await runCli(["run", "spec.yaml", "--jobs", "2"], { cwd: straight });
    expect(withoutPassWarnings(s.stderr)).toBe("");
    expect(s.code).toBe(0);
    expect(s.stdout).toContain("3 runs: 3 done now, 0 failed.");
    for (const m of ["an", "role", "scob"])
      expect(s.stdout).toMatch(new RegExp(`\\| ${m} \\| \\**[\\d.]+ \\(1\\)`));

    const dir = workspace();
    const child = spawn(process.execPath, [CLI, "run", "spec.yaml", "--jobs", "1"], {
      cwd: dir,
      stdio: "ignore",
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const stopped = new Set<string>();
    let done = false;
    void exited.then(() => {
      done = true;
    });
    // Stop every run once it has a checkpoint (iteration ≥ 2): SIGTERM to its worker.
    while (!done) {
      if (existsSync(runsOf(dir))) {
        for (const key of readdirSync(runsOf(dir))) {
          const run = join(runsOf(dir), key);
          if (stopped.has(key) || !existsSync(join(run, "events.jsonl"))) continue;
          let state: { status: string; pid: number };
          try {
            state = json(join(run, "state.json"));
          } catch {
            continue; // being replaced right now
          }
          if (state.status !== "running") continue;
          if (events(run).some((e) => e.type === "checkpoint" && (e.iter ?? 0) >= 2)) {
            stopped.add(key);
            process.kill(state.pid, "SIGTERM");
          }
        }
      }
      await new Promise((r) => setTimeout(r, 40));
    }
    expect(await exited).toBe(130);
    expect(stopped.size).toBe(3);
    for (const key of stopped) expect(json(join(runsOf(dir), key, "state.json")).status).toBe("interrupted");

    const again = await runCli(["run", "spec.yaml", "--jobs", "2"], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("3 runs: 3 done now, 0 failed.");
    const keys = readdirSync(runsOf(dir)).sort();
    expect(keys).toEqual(readdirSync(runsOf(straight)).sort());
    for (const key of keys) {
      const run = join(runsOf(dir), key);
      expect(json(join(run, "state.json")).restarts).toBe(1);
      expect(
        events(run)
          .filter((e) => e.type === "start")
          .map((e) => e.resume),
      ).toEqual([false, true]);
      expect(readFileSync(join(run, "predictions.json"), "utf8")).toBe(
        readFileSync(join(runsOf(straight), key, "predictions.json"), "utf8"),
      );
      const record = json(join(run, "run.json"));
      expect(record.provenance.method).toBeDefined();
      const metrics = json(join(run, "metrics.json")).metrics;
      expect(metrics.mAP).toEqual(expect.any(Number));
      // CF1/OF1 are null when no score reaches the 0.5 threshold (AN early on).
      expect(Object.keys(metrics)).toEqual(expect.arrayContaining(["mAP", "CF1", "OF1"]));
    }
  }, 600_000);
});
