// Training-step throughput of the tfjs engine against PyTorch CPU on the same
// architecture, input, batch, optimiser and thread count, measured side by side
// in one run (rounds interleave the configurations so machine load hits all).
//
//   npm run build && node bench/train-step.mjs [--steps 10] [--rounds 3] [--threads 1,2]
//                                              [--stock] [--cpu] [--json out.json]
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
const rounds = Number(arg("rounds", "3"));
const threadList = arg("threads", "1,2").split(",").map(Number);

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

const torch = findTorch();
const configs = [];
for (const t of threadList) {
  configs.push({
    label: `tfjs wasm + labelsweep kernels, ${t} thread${t > 1 ? "s" : ""}`,
    kind: "tfjs",
    threads: t,
    cfg: { model: "net5", backend: "wasm", threads: t, arch: NET5 },
  });
  if (torch)
    configs.push({
      label: `PyTorch ${torch.version} CPU, ${t} thread${t > 1 ? "s" : ""}`,
      kind: "torch",
      threads: t,
      cfg: { model: "net5", threads: t, arch: NET5 },
    });
}
if (flag("stock"))
  configs.push({
    label: "tfjs wasm stock kernels (+ composed dW), 1 thread",
    kind: "tfjs",
    threads: 1,
    stock: true,
    cfg: { model: "net5", backend: "wasm", threads: 1, kernels: "stock", plainOps: true, arch: NET5 },
  });
if (flag("cpu"))
  configs.push({
    label: "tfjs cpu backend (plain JS)",
    kind: "tfjs",
    threads: 1,
    slow: true,
    cfg: { model: "net5", backend: "cpu", threads: 1, plainOps: true, arch: NET5 },
  });

const samples = new Map(configs.map((c) => [c.label, []]));
for (let r = 0; r < rounds; r++) {
  for (const c of configs) {
    const n = c.slow ? 1 : c.stock ? Math.min(steps, 3) : steps;
    const w = c.slow ? 0 : c.stock ? 1 : 3;
    if (c.slow && r > 0) continue;
    const cfg = { ...c.cfg, steps: n, warmup: w };
    const res =
      c.kind === "torch"
        ? runJson(torch.python, [join(here, "train-step.py"), JSON.stringify(cfg)])
        : runJson(process.execPath, [join(here, "train-step-worker.mjs"), JSON.stringify(cfg)]);
    samples.get(c.label).push(...res.msPerStep);
    process.stderr.write(
      `round ${r + 1}/${rounds}  ${c.label}: median ${median(res.msPerStep).toFixed(1)} ms/step\n`,
    );
  }
}

const rows = configs.map((c) => {
  const ms = median(samples.get(c.label));
  return {
    label: c.label,
    kind: c.kind,
    threads: c.threads,
    msPerStep: ms,
    stepsPerSecond: 1000 / ms,
    samples: samples.get(c.label).length,
  };
});
const torchAt = (t) => rows.find((r) => r.kind === "torch" && r.threads === t);
const fastAt = (t) =>
  rows.find((r) => r.kind === "tfjs" && r.threads === t && r.label.includes("labelsweep"));

console.log(
  `\nnet5: conv 3→16→32→64→64→128 (3x3, strides 1,2,2,2,2), GAP, dense 10; batch 32, 64x64x3; SGD momentum`,
);
console.log(
  `${"configuration".padEnd(52)} ${"ms/step".padStart(9)} ${"steps/s".padStart(8)}  ratio to PyTorch (same threads)`,
);
for (const r of rows) {
  const ref = torchAt(r.threads);
  const ratio = ref && r.kind === "tfjs" ? `${(r.msPerStep / ref.msPerStep).toFixed(2)}x slower` : "";
  console.log(
    `${r.label.padEnd(52)} ${r.msPerStep.toFixed(1).padStart(9)} ${r.stepsPerSecond.toFixed(2).padStart(8)}  ${ratio}`,
  );
}
const stock = rows.find((r) => r.label.includes("stock"));
if (stock && fastAt(1))
  console.log(
    `labelsweep kernels vs stock tfjs wasm: ${(stock.msPerStep / fastAt(1).msPerStep).toFixed(1)}x faster`,
  );
const cpu = rows.find((r) => r.label.includes("cpu backend"));
if (cpu && fastAt(1))
  console.log(
    `labelsweep kernels vs tfjs cpu backend: ${(cpu.msPerStep / fastAt(1).msPerStep).toFixed(0)}x faster`,
  );
if (!torch)
  console.log(
    "PyTorch not found (python3 -c 'import torch' failed): no ratio. Debian: apt-get install python3-torch",
  );
const out = arg("json", null);
if (out) writeFileSync(out, `${JSON.stringify({ steps, rounds, rows }, null, 2)}\n`);
