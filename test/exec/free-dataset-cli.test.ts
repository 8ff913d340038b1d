import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, runCli } from "../helpers/cli.js";
import { standInArgv } from "../helpers/run-dirs.js";

// Issue 11, item 3, through the built CLI: a dataset the user names
// (`dataset: {name: mydata, train: …}`) is split by `run` exactly as a
// built-in one; a placeholder whose value is empty fails the run unless the
// template marks it optional; and the data stage refuses a number JSON cannot
// hold (1e999) with file, record and key, as the evaluator does.

const COCO_MINI = join(REPO_ROOT, "test", "fixtures", "data", "coco", "instances_mini.json");
const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "ls-free-"));
  copyFileSync(COCO_MINI, join(dir, "train.json"));
  copyFileSync(COCO_MINI, join(dir, "val.json"));
  return dir;
}

function spec(
  dir: string,
  file: string,
  name: string,
  dataset: string,
  args: string[],
  metrics = "{ from: pycocotools }",
): string {
  const command = [...standInArgv(), "--steps", "1", ...args];
  writeFileSync(
    join(dir, file),
    `name: ${name}
dataset: { name: ${dataset}, train: train.json, eval: val.json }
labels: { protocol: budget, fraction: 0.5 }
detector: { arch: stand-in }
method: { name: supervised }
engine:
  command: ${JSON.stringify(command)}
  metrics: ${metrics}
eval: { type: coco }
table: { rows: [method.name], columns: [labels.fraction], metric: AP }
`,
  );
  return file;
}

/** The one run of an experiment: its run.json and the argv its log records. */
function onlyRun(dir: string, experiment: string) {
  const runs = join(dir, "results", experiment, "runs");
  const [key] = readdirSync(runs);
  const record = readJson(join(runs, key!, "run.json"));
  const line = readFileSync(join(runs, key!, "log"), "utf8")
    .split("\n")
    .find((l) => l.startsWith("labelsweep worker: running "));
  const argv = JSON.parse(line!.slice("labelsweep worker: running ".length)) as string[];
  return { record, argv, arg: (flag: string) => argv[argv.indexOf(flag) + 1]! };
}

const imageIds = (file: string) => (readJson(file).images as { id: number }[]).map((i) => i.id).sort();

describe("a dataset named by the user", () => {
  it("is split by run as the built-in names are: the trainer gets its labelled and unlabelled files", async () => {
    const dir = workspace();
    const file = spec(dir, "spec.yaml", "free", "mydata", ["--ann", "{annotations}", "--unl", "{unlabeled}"]);
    const r = await runCli(["run", file], { cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("| supervised | 30.0 (1) |");
    const run = onlyRun(dir, "free");
    expect(run.record.split.hash).toMatch(/^[0-9a-f]{64}$/);
    // 4 images at fraction 0.5: 2 labelled, 2 unlabelled, passed where the template put them.
    expect(run.arg("--ann")).toBe(run.record.split.files.annotations);
    expect(imageIds(run.arg("--ann"))).toHaveLength(2);
    expect(imageIds(run.arg("--unl"))).toHaveLength(2);
    expect(run.argv.slice(-4)).toEqual(["--ann", run.arg("--ann"), "--unl", run.arg("--unl")]);

    // The same files under the built-in name coco draw the same labelled images.
    const coco = spec(dir, "coco.yaml", "free-coco", "coco", ["--ann", "{annotations}"]);
    expect((await runCli(["data", "prepare", coco], { cwd: dir })).code).toBe(0);
    const [split] = readdirSync(join(dir, "results", "free-coco", "splits")).filter((d) =>
      d.startsWith("budget-"),
    );
    expect(imageIds(join(dir, "results", "free-coco", "splits", split!, "labeled.json"))).toEqual(
      imageIds(run.arg("--ann")),
    );
  });

  it("fails a run whose placeholder is empty unless the template marks it optional", async () => {
    const dir = workspace();
    // {gpus} is empty on a CPU slot: only the run can know, so the run fails, naming why.
    const strict = spec(dir, "strict.yaml", "strict", "mydata", ["--gpus", "{gpus}"]);
    const r = await runCli(["run", strict, "--gpus", "none"], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("{gpus} is empty for this run (the run is on a CPU slot); write {gpus?}");

    const optional = spec(dir, "optional.yaml", "optional", "mydata", [
      "--gpus={gpus?}",
      "--seed-again",
      "{seed}",
    ]);
    const ok = await runCli(["run", optional, "--gpus", "none"], { cwd: dir });
    expect(ok.code).toBe(0);
    // The whole argument holding the empty optional placeholder is left out; nothing after it shifts.
    expect(onlyRun(dir, "optional").argv.slice(-2)).toEqual(["--seed-again", "0"]);
  });
});

describe("readers refuse numbers beyond a double's range, and before any training", () => {
  it("data prepare refuses a box width of 1e999 with file, line, record and key, as eval does", async () => {
    const dir = workspace();
    const text = readFileSync(COCO_MINI, "utf8").replace(
      '"bbox": [473.07, 395.93, 38.65, 28.67]',
      '"bbox": [473.07, 395.93, 1e999, 28.67]',
    );
    expect(text).toContain("1e999");
    writeFileSync(join(dir, "train.json"), text);
    const file = spec(dir, "spec.yaml", "inf", "mydata", []);
    const r = await runCli(["data", "prepare", file], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /train\.json:\d+:\d+: annotations\[0\]: "bbox\[\]" must be a finite number, got 1e999/,
    );
    expect(readdirSync(dir).sort()).toEqual(["spec.yaml", "train.json", "val.json"]);

    // As evaluation ground truth it stops `run` once, before any run trains (not after every one).
    copyFileSync(COCO_MINI, join(dir, "train.json"));
    writeFileSync(join(dir, "val.json"), text);
    const scored = spec(dir, "scored.yaml", "scored", "mydata", [], "{ from: predictions, file: dt.json }");
    const run = await runCli(["run", scored], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("the evaluation ground truth cannot be used (checked before any run trains");
    expect(run.stderr).toContain('annotations[0]: "bbox" must be 4 finite numbers');
    expect(existsSync(join(dir, "results", "scored", "runs"))).toBe(false);

    const ev = await runCli(["eval", "--gt", join(dir, "val.json"), "--dt", join(dir, "val.json")]);
    expect(ev.code).toBe(2);
    expect(ev.stderr).toContain(`annotations[0]: "bbox" must be 4 finite numbers`);
  });
});
