import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runCli } from "../helpers/cli.js";
import { fakeTrainerConfig, GT_TINY, writeRunDir } from "../helpers/run-dirs.js";
import { waitUntil } from "../helpers/wait.js";

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));

describe("labelsweep worker (command engine)", () => {
  it("runs the trainer, parses its metrics and marks the run done", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ls-worker-")), "k1");
    writeRunDir(dir, "k1", fakeTrainerConfig(2));
    const r = await runCli(["worker", dir]);
    expect(r.code).toBe(0);
    const metrics = readJson(join(dir, "metrics.json"));
    expect(metrics.metrics.AP).toBeCloseTo(0.32, 10);
    expect(metrics.metrics.AP50).toBeCloseTo(0.52, 10);
    expect(metrics.source).toBe("pycocotools");
    const state = readJson(join(dir, "state.json"));
    expect(state).toMatchObject({ status: "done", attempt: 1, restarts: 0 });
    expect(readFileSync(join(dir, "log"), "utf8")).toContain("step 3/3");
    const events = readFileSync(join(dir, "events.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(["start", "trainer", "done"]);
    expect(readJson(join(dir, "run.json")).provenance.seconds).toBeGreaterThan(0);
  });

  it("scores a trainer's predictions file with labelsweep's own evaluator", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ls-worker-")), "kp");
    const config = fakeTrainerConfig(0, ["--predict-from", GT_TINY]);
    (config.engine as { metrics: unknown }).metrics = { from: "predictions", file: "predictions.json" };
    writeRunDir(dir, "kp", config, { eval_annotations: GT_TINY });
    const r = await runCli(["worker", dir]);
    expect(r.code).toBe(0);
    const metrics = readJson(join(dir, "metrics.json"));
    expect(metrics.metrics.AP).toBe(1);
    expect(metrics.metrics.AP50).toBe(1);
    expect(metrics.source).toBe("labelsweep coco evaluator");
    expect(metrics.perCategory.map((c: { name: string }) => c.name)).toEqual(["circle", "square"]);
  });

  it("marks a failing trainer failed, with its output in the log", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ls-worker-")), "k2");
    writeRunDir(dir, "k2", fakeTrainerConfig(0, ["--fail"]));
    const r = await runCli(["worker", dir]);
    expect(r.code).toBe(1);
    const state = readJson(join(dir, "state.json"));
    expect(state.status).toBe("failed");
    expect(state.error).toContain("exited with code 1");
    expect(readFileSync(join(dir, "log"), "utf8")).toContain("CUDA out of memory (fake)");
  });

  it("stops gracefully on SIGTERM and resumes from the trainer's checkpoint", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ls-worker-")), "k3");
    writeRunDir(dir, "k3", fakeTrainerConfig(1, ["--steps", "200", "--step-ms", "20"]));
    const child = spawn(process.execPath, [CLI, "worker", dir], { stdio: "ignore" });
    // Wait until the trainer has made progress, then ask the worker to stop.
    await waitUntil(() => readJson(join(dir, "out", "ckpt.json")).step >= 3);
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(143);
    expect(readJson(join(dir, "state.json")).status).toBe("interrupted");
    const stoppedAt = readJson(join(dir, "out", "ckpt.json")).step;
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(stoppedAt).toBeLessThan(200);

    const again = await runCli(["worker", dir]);
    expect(again.code).toBe(0);
    expect(readJson(join(dir, "state.json"))).toMatchObject({ status: "done", attempt: 2, restarts: 1 });
    const starts = readFileSync(join(dir, "out", "starts.txt"), "utf8")
      .trim()
      .split("\n")
      .map(Number);
    expect(starts).toEqual([0, stoppedAt]);
  });

  it("marks its run interrupted itself when its runner is killed as the trainer starts", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ls-worker-")), "k6");
    writeRunDir(dir, "k6", fakeTrainerConfig(0, ["--steps", "100000", "--step-ms", "1", "--progress-json"]));
    // A stand-in runner: starts the worker over IPC as the local executor does, prints its pid once
    // the trainer has started, and dies with SIGKILL (the moment a CI run once left a run "running").
    const runner = `
      import { fork } from "node:child_process";
      const w = fork(process.argv[1], ["worker", process.argv[2]], {
        execArgv: [], stdio: ["ignore", "ignore", "ignore", "ipc"], detached: true,
        env: { ...process.env, LABELSWEEP_IPC: "1" },
      });
      w.on("message", (e) => {
        if (e.type === "trainer") { console.log(w.pid); process.kill(process.pid, "SIGKILL"); }
      });`;
    const out = await new Promise<string>((done) => {
      const r = spawn(process.execPath, ["--input-type=module", "-e", runner, CLI, dir], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let text = "";
      r.stdout.on("data", (d) => {
        text += d;
      });
      r.on("exit", () => done(text));
    });
    expect(Number(out.trim())).toBeGreaterThan(0);
    // The worker, now without a runner, stops its trainer and marks the run (a worker that died
    // instead would leave "running" behind, and the test would time out here).
    await waitUntil(() => readJson(join(dir, "state.json")).status !== "running");
    // Written by the worker on its way out, not inferred from a dead pid.
    expect(readJson(join(dir, "state.json")).status).toBe("interrupted");
    const events = readFileSync(join(dir, "events.jsonl"), "utf8").trim().split("\n");
    expect(JSON.parse(events.at(-1) as string).type).toBe("interrupted");
  });

  it("refuses to run a key that a live process holds", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ls-worker-")), "k4");
    writeRunDir(dir, "k4", fakeTrainerConfig(0));
    writeFileSync(
      join(dir, "lock"),
      JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }),
    );
    const r = await runCli(["worker", dir]);
    expect(r.code).toBe(75);
    expect(r.stderr).toContain("being executed by another process");
  });

  it("takes over a stale lock left by a dead process", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "ls-worker-")), "k5");
    writeRunDir(dir, "k5", fakeTrainerConfig(0));
    writeFileSync(
      join(dir, "lock"),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: "2020-01-01T00:00:00Z" }),
    );
    const r = await runCli(["worker", dir]);
    expect(r.code).toBe(0);
  });
});
