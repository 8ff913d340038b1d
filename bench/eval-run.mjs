// Runs labelsweep's evaluator once in this process, the way `labelsweep eval`
// does (ground truth via JSON.parse, detections via the byte reader), and prints
// one JSON line: seconds, CPU seconds, peak RSS, metrics. Handy with --cpu-prof.
//   node bench/eval-run.mjs coco|lvis GT.json DT.json

import { performance } from "node:perf_hooks";
import { evaluateFiles } from "../dist/eval/index.js";

const [type, gtPath, dtPath] = process.argv.slice(2);
const t0 = performance.now();
const report = evaluateFiles({ type }, gtPath, dtPath);
const t1 = performance.now();
const cpu = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({
    tool: "labelsweep",
    seconds: (t1 - t0) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    metrics: report.metrics,
  })}\n`,
);
