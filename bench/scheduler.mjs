#!/usr/bin/env node
// Slot utilisation of the executor's queue: N one-second jobs (real `sleep 1`
// processes started with execa, as workers are) over S slots. Utilisation =
// Σ job wall time / (S × total wall time); the rest is scheduling overhead.
// Usage: npm run build && node bench/scheduler.mjs [jobs=1000] [slots=50] [seconds=1]
import { execa } from "execa";
import { runPool } from "../dist/exec/pool.js";
import { makeSlots } from "../dist/exec/slots.js";

const jobs = Number(process.argv[2] ?? 1000);
const slotCount = Number(process.argv[3] ?? 50);
const seconds = Number(process.argv[4] ?? 1);
const slots = makeSlots({ gpus: [], gpusPerRun: 0, jobs: slotCount });
const tasks = Array.from({ length: jobs }, (_, i) => i);
let busyMs = 0;
let maxGapMs = 0;
const lastEnd = new Map();
const t0 = performance.now();
await runPool(
  tasks,
  slots,
  async (_task, slot) => {
    const start = performance.now();
    if (lastEnd.has(slot.id)) maxGapMs = Math.max(maxGapMs, start - lastEnd.get(slot.id));
    await execa("sleep", [String(seconds)]);
    const end = performance.now();
    busyMs += end - start;
    lastEnd.set(slot.id, end);
  },
  () => false,
);
const wallMs = performance.now() - t0;
const ideal = Math.ceil(jobs / slotCount) * seconds * 1000;
console.log(`jobs ${jobs} × ${seconds} s over ${slotCount} slots`);
console.log(`wall ${(wallMs / 1000).toFixed(2)} s (ideal ${(ideal / 1000).toFixed(2)} s)`);
console.log(`slot utilisation ${((100 * busyMs) / (slotCount * wallMs)).toFixed(2)} %`);
console.log(`largest gap between a slot freeing and its next job starting: ${maxGapMs.toFixed(2)} ms`);
console.log(`mean job wall time ${(busyMs / jobs).toFixed(1)} ms (includes process start-up)`);
