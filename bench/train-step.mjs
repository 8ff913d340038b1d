// Training-step throughput of the tfjs engine against PyTorch CPU on the same
// architecture, input, batch, optimiser and thread count, measured side by side
// in one run (rounds interleave the configurations so machine load hits all).
//
//   npm run build && node bench/train-step.mjs [--steps 10] [--rounds 3] [--threads 1,2]
//       [--models net5,ssd-lite,retinanet-lite] [--backend webgpu] [--stock] [--cpu] [--json out.json]
//
// --backend webgpu adds the webgpu backend (Dawn on the machine's Vulkan adapter,
// a software one included: on Mesa's lavapipe it shows the backend works, not how
// fast a GPU is) beside wasm and PyTorch, with the dispatches per step and the host
// time to issue them (the per-op overhead a faster GPU does not remove).
//
// --stock adds tfjs's own wasm kernels (the missing Conv2DBackpropFilter composed
// from stock wasm ops, as one would have to without labelsweep's kernels);
// --cpu adds the pure-JavaScript cpu backend (minutes per step: its
// Conv2DBackpropFilter alone takes ~1 min per call on this net).
// PyTorch is found as $LABELSWEEP_PYTHON, python3 or /usr/bin/python3 (Debian's
// python3-torch); without it only the tfjs figures are printed.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const flag = (name) => process.argv.includes(`--${name}`);

const steps = Number(arg("steps", "10"));
const models = arg("models", "net5,ssd-lite,retinanet-lite").split(",");
const rounds = Number(arg("rounds", "3"));
const threadList = arg("threads", "1,2").split(",").map(Number);
const gpuBackend = arg("backend", null);
if (gpuBackend !== null && gpuBackend !== "webgpu")
  throw new Error(`--backend ${gpuBackend}: only webgpu is benchmarked beside wasm`);

const NET5 = {
  input: [32, 64, 64, 3],
  convs: [
    { cin: 3, cout: 16, k: 3, stride: 1 },
    { cin: 16, cout: 32, k: 3, stride: 2 },
    { cin: 32, cout: 64, k: 3, stride: 2 },
    { cin: 64, cout: 64, k: 3, stride: 2 },
    { cin: 64, cout: 128, k: 3, stride: 2 },
  ],
  classes: 10,
};

function findTorch() {
  for (const py of [process.env.LABELSWEEP_PYTHON, "python3", "/usr/bin/python3"].filter(Boolean)) {
    try {
      const v = execFileSync(py, ["-c", "import torch; print(torch.__version__)"], {
        stdio: ["ignore", "pipe", "ignore"],
      });
      return { python: py, version: v.toString().trim() };
    } catch {
      // try the next candidate
    }
  }
  return null;
}

function runJson(cmd, args) {
  const out = execFileSync(cmd, args, {
    maxBuffer: 16 << 20,
    stdio: ["ignore", "pipe", "inherit"],
  }).toString();
  const line = out.trim().split("\n").pop();
  return JSON.parse(line);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The detectors as the shapes experiments run them: 64×64 inputs, width 16, 3 levels, 4 classes, batch 16. */
const DETECTOR = { width: 16, levels: 3, classes: 4, size: 64, batch: 16 };

const torch = findTorch();
const configs = [];
for (const model of models.filter((m) => m !== "net5")) {
  for (const t of threadList) {
    const tag = `${model}, ${t} thread${t > 1 ? "s" : ""}`;
    configs.push({
      model,
      label: `tfjs wasm + labelsweep kernels: ${tag}`,
      kind: "tfjs",
      threads: t,
      cfg: { model, backend: "wasm", threads: t, detector: DETECTOR },
    });
    if (torch)
      configs.push({
        model,
        label: `PyTorch ${torch.version} CPU: ${tag}`,
        kind: "torch",
        threads: t,
        cfg: { model, threads: t, detector: DETECTOR },
      });
  }
}
for (const model of gpuBackend ? models : []) {
  configs.push({
    model,
    label: `tfjs webgpu (Dawn): ${model}`,
    kind: "tfjs",
    variant: "webgpu",
    threads: 0,
    cfg:
      model === "net5"
        ? { model, backend: "webgpu", arch: NET5 }
        : { model, backend: "webgpu", detector: DETECTOR },
  });
}
for (const t of models.includes("net5") ? threadList : []) {
  const tag = `net5, ${t} thread${t > 1 ? "s" : ""}`;
  configs.push({
    model: "net5",
    label: `tfjs wasm + labelsweep kernels: ${tag}`,
    kind: "tfjs",
    threads: t,
    cfg: { model: "net5", backend: "wasm", threads: t, arch: NET5 },
  });
  if (torch)
    configs.push({
      model: "net5",
      label: `PyTorch ${torch.version} CPU: ${tag}`,
      kind: "torch",
      threads: t,
      cfg: { model: "net5", threads: t, arch: NET5 },
    });
}
if (flag("stock"))
  configs.push({
    model: "net5",
    label: "tfjs wasm stock kernels (+ composed dW): net5, 1 thread",
    kind: "tfjs",
    variant: "stock",
    threads: 1,
    cfg: { model: "net5", backend: "wasm", threads: 1, kernels: "stock", plainOps: true, arch: NET5 },
  });
if (flag("cpu"))
  configs.push({
    model: "net5",
    label: "tfjs cpu backend (plain JS): net5, 1 thread",
    kind: "tfjs",
    variant: "cpu",
    threads: 1,
    cfg: { model: "net5", backend: "cpu", threads: 1, plainOps: true, arch: NET5 },
  });

const samples = new Map(configs.map((c) => [c.label, []]));
const extra = new Map(configs.map((c) => [c.label, { host: [], dispatches: 0, adapter: null }]));
for (let r = 0; r < rounds; r++) {
  for (const c of configs) {
    // The slow configurations get fewer steps (the cpu backend: one step, once).
    if (c.variant === "cpu" && r > 0) continue;
    const n = c.variant === "cpu" ? 1 : c.variant === "stock" ? Math.min(steps, 3) : steps;
    const w = c.variant === "cpu" ? 0 : c.variant === "stock" ? 1 : 3;
    const cfg = { ...c.cfg, steps: n, warmup: w };
    const res =
      c.kind === "torch"
        ? runJson(torch.python, [join(here, "train-step.py"), JSON.stringify(cfg)])
        : runJson(process.execPath, [join(here, "train-step-worker.mjs"), JSON.stringify(cfg)]);
    samples.get(c.label).push(...res.msPerStep);
    const e = extra.get(c.label);
    e.host.push(...(res.hostMsPerStep ?? []));
    e.dispatches = res.dispatchesPerStep ?? 0;
    e.adapter = res.adapter ?? null;
    process.stderr.write(
      `round ${r + 1}/${rounds}  ${c.label}: median ${median(res.msPerStep).toFixed(1)} ms/step\n`,
    );
  }
}

const rows = configs.map((c) => {
  const ms = median(samples.get(c.label));
  return {
    model: c.model,
    label: c.label,
    kind: c.kind,
    variant: c.variant ?? "fast",
    threads: c.threads,
    msPerStep: ms,
    stepsPerSecond: 1000 / ms,
    samples: samples.get(c.label).length,
    ...(c.variant === "webgpu"
      ? {
          adapter: extra.get(c.label).adapter,
          dispatchesPerStep: extra.get(c.label).dispatches,
          hostMsPerStep: median(extra.get(c.label).host),
        }
      : {}),
  };
});
const find = (model, kind, threads, variant = "fast") =>
  rows.find((r) => r.model === model && r.kind === kind && r.threads === threads && r.variant === variant);

const DESCRIPTIONS = {
  net5: "conv 3→16→32→64→64→128 (3×3, strides 1,2,2,2,2), GAP, dense 10; batch 32, 64×64×3; SGD momentum",
  "ssd-lite": "backbone width 16, 3 levels, SSD heads, MultiBox loss; batch 16, 64×64×3, 4 classes; SGD",
  "retinanet-lite":
    "backbone width 16, 3-level FPN (64 ch), 2-conv towers, focal loss; batch 16, 64×64×3, 4 classes; SGD",
};
for (const model of models) {
  console.log(`\n${model}: ${DESCRIPTIONS[model]}`);
  console.log(
    `${"configuration".padEnd(64)} ${"ms/step".padStart(9)} ${"steps/s".padStart(8)}  tfjs / PyTorch (same threads)`,
  );
  for (const r of rows.filter((x) => x.model === model)) {
    // webgpu against PyTorch at the first thread count listed.
    const ref = find(model, "torch", r.variant === "webgpu" ? threadList[0] : r.threads);
    const ratio = ref && r.kind === "tfjs" ? `${(r.msPerStep / ref.msPerStep).toFixed(2)}×` : "";
    console.log(
      `${r.label.padEnd(64)} ${r.msPerStep.toFixed(1).padStart(9)} ${r.stepsPerSecond.toFixed(2).padStart(8)}  ${ratio}`,
    );
    if (r.variant === "webgpu") {
      console.log(
        `  adapter: ${r.adapter}; ${r.dispatchesPerStep.toFixed(0)} dispatches/step, ${r.hostMsPerStep.toFixed(1)} ms/step to issue them ` +
          `(${((1000 * r.hostMsPerStep) / Math.max(1, r.dispatchesPerStep)).toFixed(0)} µs per dispatch on the host)`,
      );
    }
  }
}
const fast1 = find("net5", "tfjs", 1);
const stock = find("net5", "tfjs", 1, "stock");
if (stock && fast1)
  console.log(
    `\nnet5: labelsweep kernels vs stock tfjs wasm: ${(stock.msPerStep / fast1.msPerStep).toFixed(1)}× faster`,
  );
const cpu = find("net5", "tfjs", 1, "cpu");
if (cpu && fast1)
  console.log(
    `net5: labelsweep kernels vs tfjs cpu backend: ${(cpu.msPerStep / fast1.msPerStep).toFixed(0)}× faster`,
  );
if (!torch)
  console.log(
    "PyTorch not found (python3 -c 'import torch' failed): no ratio. Debian: apt-get install python3-torch",
  );
const out = arg("json", null);
if (out) writeFileSync(out, `${JSON.stringify({ steps, rounds, rows }, null, 2)}\n`);
