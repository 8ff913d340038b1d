import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { effectiveStatus } from "../../src/sweep/run-store.js";
import { CLI, runCli } from "../helpers/cli.js";
import { writeStandInSpec } from "../helpers/run-dirs.js";
import { waitUntil } from "../helpers/wait.js";

// `labelsweep run` end to end through the built CLI, with the command engine
// and a stand-in trainer, on the built-in shapes dataset (real split artifacts).

const spec = (dir: string, extra: string[]) => writeStandInSpec(dir, extra);

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const stateOf = (dir: string) =>
  existsSync(join(dir, "state.json")) ? readJson(join(dir, "state.json")) : { status: "new" };
const runsOf = (dir: string) => join(dir, "results", "e2e", "runs");

describe("labelsweep run", () => {
  it("runs a 2 × 2 × 2 sweep with --jobs 2, writes the table, and a second run does nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-run-"));
    const file = spec(dir, ["--steps", "2"]);
    const first = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("8 runs: 8 done now, 0 failed.");
    expect(first.stdout).toContain("| supervised | **30.5 ± 0.7 (2)** | **30.5 ± 0.7 (2)** |");
    const summary = readJson(join(dir, "results", "e2e", "summary.json"));
    expect(summary.cells).toHaveLength(4);
    expect(readFileSync(join(dir, "results", "e2e", "table.md"), "utf8")).toContain("pseudo-label");
    expect(readdirSync(runsOf(dir))).toHaveLength(8);

    const second = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("8 runs: 0 done now, 0 failed, 8 done before.");
    for (const key of readdirSync(runsOf(dir))) {
      expect(readJson(join(runsOf(dir), key, "state.json")).attempt).toBe(1);
    }
    const dry = await runCli(["run", file, "--dry-run"], { cwd: dir });
    expect(dry.stdout).toContain("dry run: 0 run(s) would execute");
  });

  it("reports a failing run with its log tail, exits 1, marks the cell; --retry-failed re-runs only it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-run-"));
    const fixed = join(dir, "fixed");
    const file = spec(dir, ["--steps", "1", "--fail-when", "0.5", "--unless-exists", fixed]);
    const first = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/FAILED [0-9a-f]{12}: external trainer exited with code 1/);
    expect(first.stdout).toContain("| RuntimeError: CUDA out of memory (fake)");
    expect(first.stdout).toContain("| supervised | **30.5 ± 0.7 (2)** | failed |");
    expect(first.stdout).toContain("4 done now, 4 failed.");

    const again = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stdout).toContain("4 failed before (--retry-failed runs them again)");

    writeFileSync(fixed, "");
    const retry = await runCli(["run", file, "--jobs", "2", "--retry-failed"], { cwd: dir });
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain("8 runs: 4 done now, 0 failed, 4 done before.");
    const attempts = readdirSync(runsOf(dir)).map(
      (k) => readJson(join(runsOf(dir), k, "state.json")).attempt,
    );
    expect(attempts.sort()).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
  });

  it("survives kill -9 of the runner: completed runs stay, the next run resumes the rest", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-run-"));
    // The runs of fraction 0.5 hold after step 2 until the gate exists, so the moment "two runs done, one
    // mid-way with a checkpoint" comes on any machine, however loaded (no race with the sweep's end).
    const gate = join(dir, "gate");
    const file = spec(dir, [
      "--steps",
      "30",
      "--step-ms",
      "40",
      "--hold-at",
      "2",
      "--until",
      gate,
      "--hold-tag",
      "0.5",
    ]);
    const child = spawn(process.execPath, [CLI, "run", file, "--jobs", "2"], { cwd: dir, stdio: "ignore" });
    const doneCount = () => {
      if (!existsSync(runsOf(dir))) return 0;
      return readdirSync(runsOf(dir)).filter((k) => {
        try {
          return stateOf(join(runsOf(dir), k)).status === "done";
        } catch {
          return false; // a state.json being replaced right now
        }
      }).length;
    };
    // Kill once two runs are done and another is mid-way (it has a checkpoint).
    const midway = (): string[] => {
      if (!existsSync(runsOf(dir))) return [];
      return readdirSync(runsOf(dir)).filter((k) => {
        try {
          const d = join(runsOf(dir), k);
          return stateOf(d).status === "running" && readJson(join(d, "out", "ckpt.json")).step >= 2;
        } catch {
          return false;
        }
      });
    };
    let caught: string[] = [];
    await waitUntil(() => {
      caught = midway();
      return doneCount() >= 2 && caught.length > 0;
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.on("exit", r));
    // The orphaned workers notice their runner is gone and stop: wait until none is running, as labelsweep
    // sees it (a worker that lost its runner while starting may exit before writing its end: its pid is gone).
    await waitUntil(
      () => readdirSync(runsOf(dir)).every((k) => effectiveStatus(join(runsOf(dir), k)) !== "running"),
      200,
    );
    const doneBefore = readdirSync(runsOf(dir)).filter(
      (k) => stateOf(join(runsOf(dir), k)).status === "done",
    );
    expect(doneBefore.length).toBeGreaterThanOrEqual(2);
    expect(doneBefore.length).toBeLessThan(8);

    writeFileSync(gate, "");
    const resumed = await runCli(["run", file, "--jobs", "2"], { cwd: dir });
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`${doneBefore.length} done before`);
    for (const key of doneBefore) {
      // Not executed again: one start only.
      expect(
        readFileSync(join(runsOf(dir), key, "out", "starts.txt"), "utf8")
          .trim()
          .split("\n"),
      ).toHaveLength(1);
    }
    // Runs that were mid-way when the runner died (and not finished by then) resume from their checkpoint.
    const interrupted = caught.filter((k) => !doneBefore.includes(k));
    expect(interrupted.length).toBeGreaterThan(0);
    for (const key of interrupted) {
      expect(stateOf(join(runsOf(dir), key)).restarts).toBe(1);
      const starts = readFileSync(join(runsOf(dir), key, "out", "starts.txt"), "utf8")
        .trim()
        .split("\n")
        .map(Number);
      expect(starts.at(-1)).toBeGreaterThan(0); // resumed from its checkpoint, not from step 0
    }
    expect(readdirSync(runsOf(dir)).every((k) => stateOf(join(runsOf(dir), k)).status === "done")).toBe(true);
  });
});
