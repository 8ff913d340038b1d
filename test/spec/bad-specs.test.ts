import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CliResult, REPO_ROOT, runCli } from "../helpers/cli.js";

// The corpus of broken specs: every file in test/fixtures/specs/bad/ (not its
// _parts/ folder, which holds files the extends cases extend) is run through
// `labelsweep validate` as a user would, from the case's own folder; every file
// in bad-sweep/ through both `validate` and `plan`, since a sweep that cannot be
// planned is a broken spec too. Each case
// states in its header comments what must be reported:
//
//   # expect: LINE:COL KEY.PATH MESSAGE…     a problem in this file
//   # expect: _parts/x.yaml:LINE:COL …       a problem in another file (relative to the case)
//   # expect: (--set a.b=1) KEY.PATH …       a problem in a command-line override
//   # expect-hint: did you mean "lambda"?    appears in the output
//   # expect-problems: N                     exactly N problems are reported
//   # args: --set train.lr=-1                extra CLI arguments
//   # known-bug: …                           the expectations above describe the right
//                                            behaviour, which the loader does not give yet
//
// The location, the key path and the message must appear together on one
// output line, as `validate` prints them: `file:line:col  key.path  message`.
// A known-bug case still has to exit 2 and write nothing; its expectations run
// as `it.fails`, so the test turns red the day the bug is fixed, as a reminder
// to delete the known-bug line. Cases without `args` are validated together in
// one `labelsweep validate` call per folder (each file is reported in its own
// block, which ends with its "N problems found" line).

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "specs");

interface Expectation {
  /** `file:line:col` as printed (relative to the case folder), or `(--set …)`. */
  where: string;
  path: string;
  message: string;
  header: string;
}

interface BadCase {
  name: string;
  dir: string;
  file: string;
  args: string[];
  expects: Expectation[];
  hints: string[];
  problems?: number;
  knownBug?: string;
}

const EXPECT = /^(\([^)]*\)|(?:\S+:)?\d+:\d+)\s+(\S+)\s+(.+)$/;

function parseCase(dir: string, file: string): BadCase {
  const c: BadCase = { name: file.replace(/\.yaml$/, ""), dir, file, args: [], expects: [], hints: [] };
  for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
    if (!line.startsWith("#")) break;
    const m = /^#\s*([a-z-]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, tag, rest] = m as unknown as [string, string, string];
    if (tag === "expect") {
      const e = EXPECT.exec(rest.trim());
      if (!e) throw new Error(`${file}: cannot read "${line}" (expected LINE:COL KEY.PATH MESSAGE)`);
      const [, loc, path, message] = e as unknown as [string, string, string, string];
      const where = loc.startsWith("(") || /^\S+:\d+:\d+$/.test(loc) ? loc : `${file}:${loc}`;
      c.expects.push({ where, path, message, header: line });
    } else if (tag === "expect-hint") c.hints.push(rest.trim());
    else if (tag === "expect-problems") c.problems = Number(rest);
    else if (tag === "args") c.args = rest.trim().split(/\s+/);
    else if (tag === "known-bug") c.knownBug = rest.trim();
  }
  return c;
}

function casesIn(dir: string): BadCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => parseCase(dir, f));
}

/** Names, sizes and mtimes of everything under `dir`: a write anywhere changes it. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = statSync(p);
      out.push(`${p} ${s.size} ${s.mtimeMs}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

const runs = new Map<string, Promise<{ result: CliResult; before: string[]; after: string[] }>>();

/** Runs `command` once per case (both tests of a case share the run). */
function runCase(command: string, c: BadCase) {
  const id = `${command} ${join(c.dir, c.file)}`;
  let run = runs.get(id);
  if (!run) {
    run = (async () => {
      const before = snapshot(c.dir);
      const result = await runCli([command, c.file, ...c.args], { cwd: c.dir });
      return { result, before, after: snapshot(c.dir) };
    })();
    runs.set(id, run);
  }
  return run;
}

interface BatchRun {
  result: CliResult;
  before: string[];
  after: string[];
  /** Each case file's part of the report (its lines, up to its "N problems found" line). */
  blocks: Map<string, string>;
}

const batches = new Map<string, Promise<BatchRun>>();

/**
 * `validate` takes many files and reports each in its own block, so the cases
 * of a folder that need no extra arguments run in one process: the suite
 * spends its time checking, not starting Node a hundred times.
 */
function runBatch(dir: string, cases: readonly BadCase[]): Promise<BatchRun> {
  let run = batches.get(dir);
  if (!run) {
    run = (async () => {
      const before = snapshot(dir);
      const result = await runCli(["validate", ...cases.map((c) => c.file)], { cwd: dir });
      // validate reports the files in the order given, each block ending with its count line.
      const blocks = new Map<string, string>();
      let lines: string[] = [];
      for (const line of result.stderr.split("\n")) {
        lines.push(line);
        if (!/^\d+ problems? found; nothing was run or written\.$/.test(line)) continue;
        const owner = cases[blocks.size];
        if (owner) blocks.set(owner.file, lines.join("\n"));
        lines = [];
      }
      return { result, before, after: snapshot(dir), blocks };
    })();
    batches.set(dir, run);
  }
  return run;
}

function checkReport(c: BadCase, output: string): void {
  const lines = output.split("\n");
  for (const e of c.expects) {
    const prefix = `${e.where}  ${e.path}  `;
    const hit = lines.some((l) => l.startsWith(prefix) && l.includes(e.message));
    expect(hit, `${c.file}: no output line for "${e.header}"\n${output}`).toBe(true);
  }
  for (const hint of c.hints) expect(output, `${c.file}: hint missing`).toContain(hint);
  if (c.problems !== undefined) {
    const m = /^(\d+) problems? found; nothing was run or written\.$/m.exec(output);
    expect(m?.[1] === undefined ? undefined : Number(m[1]), `${c.file}: problem count\n${output}`).toBe(
      c.problems,
    );
  }
}

function suite(dir: string, commands: readonly string[]): void {
  const cases = casesIn(dir);
  it("has cases, each with at least one expectation", () => {
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) expect(c.expects.length, c.file).toBeGreaterThan(0);
  });
  const batched = cases.filter((c) => c.args.length === 0);
  if (commands.includes("validate")) {
    it(`validate ${batched.length} cases in one call: exits 2, refuses every file, writes nothing`, async () => {
      const { result, before, after, blocks } = await runBatch(dir, batched);
      expect(result.code, result.stdout + result.stderr).toBe(2);
      expect(result.stdout).not.toMatch(/^ok /m);
      expect(result.stderr).toContain(`${batched.length} of ${batched.length} spec file(s) invalid`);
      expect(blocks.size, "one report block per file, in order").toBe(batched.length);
      expect(after).toEqual(before);
    });
  }
  for (const command of commands) {
    for (const c of cases) {
      const batch = command === "validate" && c.args.length === 0;
      if (!batch) {
        it(`${command} ${c.name}: exits 2 and writes nothing`, async () => {
          const { result, before, after } = await runCase(command, c);
          expect(result.code, result.stdout + result.stderr).toBe(2);
          expect(result.stdout).not.toMatch(/^ok /m);
          expect(after).toEqual(before);
        });
      }
      const report = c.knownBug ? it.fails : it;
      report(`${command} ${c.name}: reports ${c.expects.map((e) => e.path).join(", ")}`, async () => {
        if (batch) {
          const { blocks, result } = await runBatch(dir, batched);
          const block = blocks.get(c.file);
          expect(block, `${c.file}: no report of its own in\n${result.stderr}`).toBeDefined();
          checkReport(c, block!);
        } else {
          const { result } = await runCase(command, c);
          checkReport(c, result.stdout + result.stderr);
        }
      });
    }
  }
}

describe.concurrent("broken specs (test/fixtures/specs/bad)", () => {
  it("holds at least 45 cases", () => {
    expect(casesIn(join(FIXTURES, "bad")).length).toBeGreaterThanOrEqual(45);
  });
  suite(join(FIXTURES, "bad"), ["validate"]);
});

describe.concurrent("broken sweeps (test/fixtures/specs/bad-sweep)", () => {
  suite(join(FIXTURES, "bad-sweep"), ["validate", "plan"]);
});
