// bench/data: every label protocol over a synthetic COCO-train2017-sized
// annotation file (118,287 images, 860,001 boxes, ~450 MB of JSON with
// polygons), generated in the OS temp folder. Each side runs in its own
// process so its peak RSS is its own:
//   labelsweep  one DatasetLoader, prepareSplit for every protocol (first
//               call reads, hashes and parses the file; later calls reuse it)
//   baseline    JSON.parse of the same file, what a plain reader does
// Run after `npm run build`: node bench/data.js [--cache <dir>] [--keep]
// The split cache goes to a fresh folder under --cache (default: the OS temp
// folder); point it at a tmpfs (/dev/shm) to take the disk out of the figures:
// the sparse splits rewrite most of the file, ~2 GB in all, so a slow disk
// dominates the wall time. On a shared machine, wall time also depends on what
// else runs; cpu time is the steadier figure.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeCocoLike } from "./data-fixture.js";

const here = fileURLToPath(import.meta.url);
const [, , mode, file, cache] = process.argv;

const PROTOCOLS = [
  { protocol: "full" },
  ...[0.01, 0.02, 0.05, 0.1].map((fraction) => ({ protocol: "budget", fraction })),
  ...[0.01, 0.02, 0.05, 0.1].map((fraction) => ({ protocol: "budget", fraction, compat: "mmdet" })),
  ...["easy", "hard", "extreme", "missing50p", { keep: 0.4 }].map((level) => ({ protocol: "sparse", level })),
  { protocol: "single-positive" },
  {
    protocol: "active",
    initial: { count: 5000 },
    per_cycle: { count: 1000 },
    cycles: 5,
    acquisition: "random",
  },
];

const seconds = (t0) => (Number(process.hrtime.bigint() - t0) / 1e9).toFixed(2);
const cpuSeconds = (c0) => {
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) / 1e6).toFixed(2);
};
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

if (mode === "--child-labelsweep") {
  const { DatasetLoader, prepareSplit, describeProtocol } = await import("../dist/data/index.js");
  const loader = new DatasetLoader();
  const dataset = { name: "coco", train: file, eval: join(cache, "no-eval.json") };
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let written = 0;
  for (const labels of PROTOCOLS) {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    const a = await prepareSplit(dataset, { ...labels, fold: 1 }, cache, { loader });
    const im = a.manifest.counts.images;
    for (const o of a.manifest.outputs) if (!o.same_as_input) written += o.bytes;
    console.log(
      `  ${describeProtocol(a.manifest).padEnd(24)} ${seconds(t).padStart(6)} s  cpu ${cpuSeconds(c).padStart(6)} s` +
        `  labelled ${String(im.labeled).padStart(6)}  boxes ${String(a.manifest.counts.boxes.visible).padStart(6)}` +
        `  rss ${String(peakMb()).padStart(5)} MB`,
    );
  }
  console.log(`  wrote ${(written / 1e9).toFixed(2)} GB of derived annotations`);
  console.log(`RESULT labelsweep ${seconds(t0)} ${cpuSeconds(c0)} ${peakMb()}`);
} else if (mode === "--child-baseline") {
  const { readFileSync } = await import("node:fs");
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const doc = JSON.parse(readFileSync(file, "utf8"));
  console.log(`  JSON.parse: ${doc.images.length} images, ${doc.annotations.length} annotations`);
  console.log(`RESULT baseline ${seconds(t0)} ${cpuSeconds(c0)} ${peakMb()}`);
} else {
  const keep = process.argv.includes("--keep");
  const fixture = join(tmpdir(), "labelsweep-bench-coco-train2017-like.json");
  if (!existsSync(fixture)) {
    console.log(`generating ${fixture} …`);
    await writeCocoLike(fixture);
  }
  const mb = (statSync(fixture).size / 1e6).toFixed(0);
  console.log(`input: ${fixture} (${mb} MB, 118,287 images, 860,001 boxes)`);
  const at = process.argv.indexOf("--cache");
  const cacheRoot = at > 0 ? process.argv[at + 1] : tmpdir();
  const cache = mkdtempSync(join(cacheRoot, "labelsweep-bench-splits-"));
  console.log(`split cache: ${cache}`);
  const run = (flag, extra = []) => {
    const out = execFileSync(process.execPath, [...extra, here, flag, fixture, cache], {
      encoding: "utf8",
      maxBuffer: 1 << 24,
    });
    process.stdout.write(
      out
        .split("\n")
        .filter((l) => !l.startsWith("RESULT"))
        .join("\n"),
    );
    const [, , wall, cpu, rss] = out
      .split("\n")
      .find((l) => l.startsWith("RESULT"))
      .split(" ");
    return { wall: Number(wall), cpu: Number(cpu), rss: Number(rss) };
  };
  try {
    console.log(`\nlabelsweep: ${PROTOCOLS.length} protocols, fold 1, one loader`);
    const ours = run("--child-labelsweep");
    console.log(`\nbaseline: JSON.parse of the whole file (heap raised to 8 GB so it can finish)`);
    const base = run("--child-baseline", ["--max-old-space-size=8192"]);
    console.log("\n                         wall s    cpu s   peak RSS MB");
    console.log(
      `labelsweep, all splits  ${ours.wall.toFixed(2).padStart(6)}  ${ours.cpu.toFixed(2).padStart(7)}  ${String(ours.rss).padStart(8)}`,
    );
    console.log(
      `JSON.parse only         ${base.wall.toFixed(2).padStart(6)}  ${base.cpu.toFixed(2).padStart(7)}  ${String(base.rss).padStart(8)}`,
    );
    console.log(
      `ratio (JSON.parse / labelsweep): wall ${(base.wall / ours.wall).toFixed(2)}×, memory ${(base.rss / ours.rss).toFixed(2)}×`,
    );
    console.log(
      `goal: all splits < 10 s and < 4096 MB → ${ours.wall < 10 && ours.rss < 4096 ? "met" : "NOT met"}`,
    );
  } finally {
    if (!keep) rmSync(cache, { recursive: true, force: true });
  }
}
