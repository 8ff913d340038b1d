import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, runCli } from "../helpers/cli.js";
import { standInArgv } from "../helpers/run-dirs.js";
import { haveTmux, startTmux } from "../helpers/tmux.js";

// The sweep's progress through the built CLI (issue 17 §1): on a terminal the
// ETA renders as a time and every run's final line stays on screen (the last
// one too); in a pipe, plain lines; with --json, the event stream. Metrics are
// on the table's scale (×100). The stand-in trainer prints JSON progress lines
// (its progress events) and holds at step 2 until the test releases it, so the
// screen is read while runs are running, whatever the machine's speed (the
// time limits are ceilings for a loaded machine, not assertions).

function sweepSpec(dir: string, hold: boolean): string {
  const argv = [
    ...standInArgv(),
    "--steps",
    "4",
    "--step-ms",
    "20",
    "--progress-json",
    ...(hold ? ["--hold-at", "2", "--until", join(dir, "go")] : []),
  ];
  const file = join(dir, "spec.yaml");
  writeFileSync(
    file,
    `name: progress
dataset: { name: shapes, train_images: 20, eval_images: 10, image_size: 32, classes: 3 }
labels: { protocol: budget, fraction: 0.2 }
detector: { arch: stand-in }
method: { name: supervised }
engine:
  command: ${JSON.stringify(argv)}
  metrics: { from: pycocotools }
sweep:
  grid:
    labels.fraction: [0.2, 0.5]
  seeds: 2
table: { rows: [method.name], columns: [labels.fraction], metric: [AP50, AP] }
`,
  );
  return file;
}

const FINAL =
  /^done {3}[0-9a-f]{12} {2}labels\.fraction=0\.[25] seed=[01] {2}AP50 5[01]\.0 {2}AP 3[01]\.0 {2}\(/;

describe("sweep progress", () => {
  it.skipIf(!haveTmux)(
    "on a terminal: the ETA is a time, and every run's final line is printed",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "ls-progress-"));
      const file = sweepSpec(dir, true);
      const tmux = startTmux(`ls17-${process.pid}`, [process.execPath, CLI, "run", file, "--jobs", "2"], {
        cwd: dir,
        height: 60,
      });
      try {
        // Two runs hold at step 2 of 4 with a measured iteration rate: the ETA is a time.
        const held = await tmux.waitFor((s) =>
          /sweep: 0 done, 0 failed, 2 running, 4 total \| ETA \d/.test(s),
        );
        expect(held).not.toContain("{eta_formatted}");
        expect(held).toMatch(/ETA (\d+\.\d s|\d+m \d\ds)/);
        writeFileSync(join(dir, "go"), "");
        const end = await tmux.waitFor((s) => /EXITED \d+/.test(s));
        expect(end).toContain("EXITED 0");
        const finals = end.split("\n").filter((l) => FINAL.test(l));
        // All four, the last run's included (it used to be lost in cli-progress's log buffer).
        expect(new Set(finals.map((l) => l.slice(7, 19))).size).toBe(4);
        expect(end).toMatch(/sweep: 4 done, 0 failed, 0 running, 4 total \| took /);
        expect(end).toContain("4 runs: 4 done now, 0 failed.");
      } finally {
        tmux.kill();
      }
    },
  );

  it("in a pipe: one line per start and end with the ETA; --json: the event stream", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ls-progress-"));
    const file = sweepSpec(dir, false);
    const plain = await runCli(["run", file, "--jobs", "2", "--set", "seed=0", "labels.fraction=0.2,0.5"], {
      cwd: dir,
    });
    expect(plain.code).toBe(0);
    const lines = plain.stdout.split("\n");
    expect(lines.filter((l) => l.startsWith("start  "))).toHaveLength(2);
    const ends = lines.filter((l) => FINAL.test(l));
    expect(ends).toHaveLength(2);
    expect(ends.some((l) => /\[1\/2\] {2}ETA (\d+\.\d s|\d+m \d\ds)$/.test(l))).toBe(true);
    expect(ends.some((l) => /\[2\/2\]$/.test(l))).toBe(true);

    const json = await runCli(["run", file, "--jobs", "2", "--json", "--force"], { cwd: dir });
    expect(json.code).toBe(0);
    const events = json.stdout
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as { type: string; key?: string; iter?: number; metrics?: Record<string, number> },
      );
    expect(events.filter((e) => e.type === "started")).toHaveLength(4);
    // The trainer's JSON lines arrive as progress events, keyed by run.
    const progress = events.filter((e) => e.type === "progress");
    expect(progress.length).toBeGreaterThanOrEqual(16);
    expect(progress.every((e) => typeof e.key === "string" && typeof e.iter === "number")).toBe(true);
    const finished = events.filter((e) => e.type === "finished");
    expect(finished).toHaveLength(4);
    expect(finished[0]!.metrics).toMatchObject({ AP: expect.any(Number) });
    expect(events.at(-1)).toMatchObject({
      type: "summary",
      experiment: "progress",
      runs: 4,
      now: { done: 4, failed: 0 },
    });
  });
});
