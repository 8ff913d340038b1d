// Shared runner of the evaluation benchmarks: runs labelsweep's CLI and the
// reference tools on the same files, in the same run, each in its own process
// under /usr/bin/time, and prints wall time, CPU time, peak RSS, the speed
// ratios and the largest difference between their summary numbers.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeDetectionBenchmark } from "./eval-data.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = process.env.LABELSWEEP_PYTHON ?? "/usr/bin/python3";
const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;

export function parseArgs(defaults) {
  const opts = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--no-reference") opts.reference = false;
    else if (a.startsWith("--")) {
      const key = a.slice(2);
      if (!(key in defaults)) throw new Error(`unknown option ${a}`);
      const v = argv[++i];
      opts[key] = typeof defaults[key] === "number" ? Number(v) : v;
    }
  }
  return opts;
}

/** Generates (or reuses) the benchmark files; returns their paths and sizes. */
export async function benchmarkFiles(name, genOpts) {
  const dir = join(process.env.LABELSWEEP_BENCH_DIR ?? join(tmpdir(), "labelsweep-bench-eval"), name);
  const gt = join(dir, "gt.json");
  const dt = join(dir, "dt.json");
  const metaPath = join(dir, "meta.json");
  const want = JSON.stringify(genOpts);
  let meta = existsSync(metaPath) ? JSON.parse(readFileSync(metaPath, "utf8")) : null;
  if (!meta || JSON.stringify(meta.opts) !== want || !existsSync(dt)) {
    mkdirSync(dir, { recursive: true });
    process.stdout.write(`generating ${dir} …\n`);
    const counts = await writeDetectionBenchmark(gt, dt, genOpts);
    meta = { opts: genOpts, counts };
    writeFileSync(metaPath, JSON.stringify(meta));
  }
  return { gt, dt, counts: meta.counts, mb: (statSync(gt).size + statSync(dt).size) / 2 ** 20 };
}

/** Runs a command, returns {wall, cpu, rssMiB, stdout} (null when it fails). */
function timed(cmd, args) {
  const full = TIME ? [TIME, ["-f", "@@time %e %U %S %M", cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: "utf8", maxBuffer: 256 << 20, cwd: ROOT });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) {
    process.stdout.write(
      `  (${cmd} ${args[0] ?? ""} failed: ${(r.stderr || "").trim().split("\n").slice(-2).join(" | ")})\n`,
    );
    return null;
  }
  const m = /@@time ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  return {
    wall: m ? Number(m[1]) : wall,
    cpu: m ? Number(m[2]) + Number(m[3]) : Number.NaN,
    rssMiB: m ? Number(m[4]) / 1024 : Number.NaN,
    stdout: r.stdout,
  };
}

export function toolRunners(type, gt, dt, refTools) {
  const runners = [
    {
      name: "labelsweep",
      run: () => {
        const r = timed(process.execPath, [
          join(ROOT, "bin/labelsweep.js"),
          "eval",
          "--type",
          type,
          "--gt",
          gt,
          "--dt",
          dt,
          "--json",
        ]);
        return r && { ...r, stats: Object.values(JSON.parse(r.stdout).metrics) };
      },
    },
  ];
  for (const tool of refTools) {
    runners.push({
      name: tool,
      run: () => {
        const r = timed(PYTHON, [join(ROOT, "bench/eval_reference.py"), tool, gt, dt]);
        if (!r) return null;
        const out = JSON.parse(r.stdout.trim().split("\n").pop());
        return {
          ...r,
          stats: Array.isArray(out.stats) ? out.stats : Object.values(out.stats),
          phases: out.seconds,
        };
      },
    });
  }
  return runners;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

/** Runs every tool `runs` times (the slow reference once unless asked), interleaved, and prints the table. */
export function compare(runners, opts) {
  const results = new Map(runners.map((r) => [r.name, []]));
  for (let i = 0; i < opts.runs; i++) {
    for (const r of runners) {
      if (i > 0 && r.name !== "labelsweep" && i >= (opts.referenceRuns ?? 1)) continue;
      process.stdout.write(`  run ${i + 1}: ${r.name} …`);
      const res = r.run();
      process.stdout.write(
        res ? ` ${res.wall.toFixed(2)} s wall, ${res.cpu.toFixed(2)} s cpu\n` : " unavailable\n",
      );
      if (res) results.get(r.name).push(res);
    }
  }
  const base = results.get("labelsweep");
  if (!base.length) throw new Error("labelsweep did not run; build it first (npm run build)");
  const bWall = median(base.map((x) => x.wall));
  const bCpu = median(base.map((x) => x.cpu));
  const rows = [];
  for (const [name, rs] of results) {
    if (!rs.length) continue;
    const wall = median(rs.map((x) => x.wall));
    const cpu = median(rs.map((x) => x.cpu));
    const rss = Math.max(...rs.map((x) => x.rssMiB));
    const diff = Math.max(...rs[0].stats.map((v, i) => Math.abs(v - base[0].stats[i])));
    rows.push({
      tool: name,
      runs: rs.length,
      "wall s (median)": wall.toFixed(2),
      "cpu s (median)": cpu.toFixed(2),
      "peak RSS MiB": rss.toFixed(0),
      "wall / labelsweep": (wall / bWall).toFixed(1),
      "cpu / labelsweep": (cpu / bCpu).toFixed(1),
      "max |Δ stat|": name === "labelsweep" ? "-" : diff.toExponential(1),
    });
  }
  console.table(rows);
  const load = (() => {
    try {
      return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
    } catch {
      return "?";
    }
  })();
  const cores = execFileSync("nproc", { encoding: "utf8" }).trim();
  console.log(`machine: ${cores} cores, load average ${load}; node ${process.version}`);
  return rows;
}
