// Benchmark: plan a 100,000-run sweep through the public functions, as
// `labelsweep plan` does (load → expand + check → keys → status → table), and
// the CLI itself in a child process. Run after a build: `npm run bench:plan`.
// Issue 2's target: 100k runs planned in under 2 s on the project's 2-core machine.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { loadSpec } from "../dist/spec/load.js";
import { codeVersion } from "../dist/sweep/code-version.js";
import { planSpec } from "../dist/sweep/plan.js";
import { planFile } from "../dist/sweep/plan-file.js";
import { formatPlanJson, formatPlanTable } from "../dist/sweep/plan-format.js";
import { readRunStatuses } from "../dist/sweep/run-status.js";

const dir = mkdtempSync(join(tmpdir(), "labelsweep-bench-plan-"));
const specFile = join(dir, "bench.yaml");
const results = join(dir, "results");

// 4 methods × 10 budgets × 5 learning rates × 5 folds × 100 seeds = 100,000 runs.
const fractions = [0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5];
writeFileSync(
  specFile,
  `name: bench-plan
dataset: {name: shapes, train_images: 2000, eval_images: 500}
labels: {protocol: budget, fraction: 0.1}
detector: {arch: ssd-lite, width: 16}
method: {name: supervised}
train: {iterations: 1000, batch: 16}
engine: tfjs
eval: {type: coco}
sweep:
  grid:
    method:
      - {name: supervised}
      - {name: csd, weight: 1.0}
      - {name: mean-teacher}
      - {name: pseudo-label}
    labels.fraction: [${fractions.join(", ")}]
    train.lr: [0.001, 0.003, 0.01, 0.03, 0.1]
  folds: 5
  seeds: 100
`,
);

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const now = () => process.hrtime.bigint();

function stages(label) {
  const t = {};
  const cpu0 = process.cpuUsage();
  let t0 = now();
  const loaded = loadSpec(specFile);
  t.load = ms(t0);
  return codeVersion(dir, { exclude: [specFile, results] }).then((code) => {
    t0 = now();
    const plan = planSpec(loaded.spec, { code, locate: loaded.locate, maxRuns: 100_000 });
    t.plan = ms(t0);
    t0 = now();
    const statuses = readRunStatuses(
      results,
      plan.experiment,
      plan.runs.map((r) => r.key),
    );
    t.status = ms(t0);
    t0 = now();
    const table = formatPlanTable(plan, statuses);
    t.table = ms(t0);
    const cpu = process.cpuUsage(cpu0);
    t0 = now();
    const json = formatPlanJson(plan, statuses);
    t.json = ms(t0);
    const total = t.load + t.plan + t.status + t.table;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    console.log(
      `${label.padEnd(26)} load ${t.load.toFixed(0).padStart(4)} ms  expand+check+keys ${t.plan.toFixed(0).padStart(5)} ms` +
        `  status ${t.status.toFixed(0).padStart(4)} ms  table ${t.table.toFixed(0).padStart(4)} ms` +
        `  = ${total.toFixed(0).padStart(5)} ms wall, ${cpuMs.toFixed(0)} ms CPU (${((total * 1000) / plan.runs.length).toFixed(1)} µs/run;` +
        ` --json ${t.json.toFixed(0)} ms, ${(json.length / 1e6).toFixed(0)} MB; table ${(table.length / 1e6).toFixed(1)} MB)`,
    );
    return plan;
  });
}

// The CLI in a child process, as a user runs it; the child reports its own CPU
// time (process.cpuUsage() counts from process start, so node's start-up too).
const MAIN = new URL("../dist/cli/main.js", import.meta.url).href;
function cli(label, args) {
  const argv = ["plan", specFile, "--results", results, "--max-runs", "100000", ...args];
  const script =
    `const { main } = await import(${JSON.stringify(MAIN)});` +
    `process.exitCode = await main(${JSON.stringify(argv)});` +
    "const u = process.cpuUsage(); process.stderr.write(JSON.stringify(u));";
  const t0 = now();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const wall = ms(t0);
  if (r.status !== 0) throw new Error(`plan failed: ${r.stderr}`);
  const cpu = JSON.parse(r.stderr);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    `${label.padEnd(26)} ${wall.toFixed(0).padStart(5)} ms wall, ${cpuMs.toFixed(0).padStart(5)} ms CPU (user+sys, node start-up included)`,
  );
  return { wall, cpuMs };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
console.log(`node ${process.version}, ${cpus().length} CPUs, load average ${load()}; spec: ${specFile}`);
const plan = await stages("in-process, first (cold)");
if (plan.runs.length !== 100_000) throw new Error(`expected 100,000 runs, got ${plan.runs.length}`);
await stages("in-process, second");

// 2,000 runs with results: state.json is read only for keys that have a directory.
for (const [i, run] of plan.runs.slice(0, 2000).entries()) {
  const runDir = join(results, plan.experiment, "runs", run.key);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(
    join(runDir, "state.json"),
    JSON.stringify({
      status: i % 10 === 0 ? "failed" : "done",
      attempt: 1,
      restarts: 0,
      updated: new Date().toISOString(),
    }),
  );
}
await stages("in-process, 2k with results");
const whole = await planFile(specFile, { resultsDir: results, maxRuns: 100_000 });
if (whole.statuses.filter((s) => s === "done").length !== 1800) throw new Error("status reading is wrong");

const runs = [cli("CLI table, run 1", []), cli("CLI table, run 2", []), cli("CLI table, run 3", [])];
cli("CLI --json", ["--json"]);
const best = runs.reduce((a, b) => (b.wall < a.wall ? b : a));
console.log(
  `CLI table, best of 3: ${best.wall.toFixed(0)} ms wall, ${best.cpuMs.toFixed(0)} ms CPU for 100,000 runs ` +
    `(target < 2000 ms; load average now ${load()} on ${cpus().length} CPUs: wall above CPU is waiting for a core)`,
);
rmSync(dir, { recursive: true, force: true });
