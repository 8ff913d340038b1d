// Start-up time of the CLI, measured side by side in one run (issue 17 §9):
// bare `node -e 0`, `labelsweep --help` and `labelsweep validate <spec>`, for
// this checkout and, with --before DIR, another built checkout (e.g. an older
// commit extracted with `git archive`), interleaved round by round so machine
// load hits both alike. Prints medians and ratios.
//
//   node bench/startup.mjs [--rounds 7] [--before /tmp/ls-before]
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const rounds = Number(opt("rounds", "7"));
const here = fileURLToPath(new URL("..", import.meta.url));
const before = opt("before", null);
const spec = fileURLToPath(new URL("../experiments/quickstart.yaml", import.meta.url));

const trees = [["this", here], ...(before ? [["before", before]] : [])];
const cases = [["node -e 0", null, ["-e", "0"]]];
for (const [tree, dir] of trees) {
  cases.push([`${tree}: --help`, dir, [`${dir}/bin/labelsweep.js`, "--help"]]);
  cases.push([`${tree}: validate`, dir, [`${dir}/bin/labelsweep.js`, "validate", spec]]);
}

function time(argv) {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, argv, { stdio: "ignore" });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const samples = new Map(cases.map(([name]) => [name, []]));
const load0 = loadavg()[0];
for (let r = 0; r < rounds; r++) for (const [name, , argv] of cases) samples.get(name).push(time(argv));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(
  `start-up, median of ${rounds} rounds (ms); load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
);
for (const [name] of cases)
  console.log(`  ${name.padEnd(20)} ${median(samples.get(name)).toFixed(0).padStart(6)}`);
if (before) {
  for (const what of ["--help", "validate"]) {
    const a = median(samples.get(`before: ${what}`));
    const b = median(samples.get(`this: ${what}`));
    console.log(
      `  ${what}: ${(a / b).toFixed(2)}× faster than before (${a.toFixed(0)} → ${b.toFixed(0)} ms)`,
    );
  }
}
