import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { execa } from "execa";
import { UserError } from "../util/errors.js";
import type { Summary } from "./summary.js";

// Where the two sides of a diff come from: committed summaries at a git
// revision (`git show rev:path`, no checkout), the working tree, or a plain
// results directory. Also the code drift between two revisions: commits
// between them and the files they changed outside the results.

export interface SummarySet {
  /** How the side is named in the output: a short commit, "working tree" or a directory. */
  label: string;
  /** Full commit when the side is a git revision. */
  commit?: string;
  summaries: Map<string, Summary>;
}

export interface CodeDrift {
  commits: { hash: string; subject: string }[];
  /** Files changed between the sides, results directory left out. */
  files: string[];
  /** The B side includes uncommitted changes (working tree). */
  worktree: boolean;
}

function parseSummary(text: string, where: string): Summary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${where}: not valid JSON (${(err as Error).message})`);
  }
  const s = data as Partial<Summary>;
  if (!s || typeof s !== "object" || typeof s.experiment !== "string" || !Array.isArray(s.cells) || !s.table)
    throw new UserError(`${where}: not a labelsweep summary (expected "experiment", "table" and "cells")`);
  if (s.summaryVersion !== 1 && s.summaryVersion !== 2 && s.summaryVersion !== 3)
    throw new UserError(
      `${where}: summaryVersion ${String(s.summaryVersion)} is not one this labelsweep reads (1, 2, 3)`,
    );
  return { configs: {}, references: [], environment: {}, ...s } as Summary;
}

/** Summaries in a results directory (results/<experiment>/summary.json) or one experiment's directory. */
export function summariesInDir(dir: string, label = dir): SummarySet {
  const summaries = new Map<string, Summary>();
  const own = join(dir, "summary.json");
  if (!existsSync(dir)) throw new UserError(`${dir}: no such results directory`);
  const files = existsSync(own)
    ? [own]
    : readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "summary.json")))
        .map((e) => join(dir, e.name, "summary.json"))
        .sort();
  for (const f of files) {
    const s = parseSummary(readFileSync(f, "utf8"), f);
    summaries.set(s.experiment, s);
  }
  return { label, summaries };
}

async function git(cwd: string, args: string[]): Promise<string> {
  const r = await execa("git", args, { cwd, reject: false });
  if (r.exitCode !== 0)
    throw new UserError(`git ${args.join(" ")} failed in ${cwd}: ${String(r.stderr).trim()}`);
  return String(r.stdout);
}

export async function repoRoot(cwd: string): Promise<string> {
  const r = await execa("git", ["rev-parse", "--show-toplevel"], { cwd, reject: false });
  if (r.exitCode !== 0)
    throw new UserError(`${cwd} is not inside a git repository (use --dirs A B to compare directories)`);
  return String(r.stdout).trim();
}

/** The full commit a revision names, or null when it names none. */
export async function resolveCommit(cwd: string, rev: string): Promise<string | null> {
  if (rev.startsWith("-")) return null;
  const r = await execa("git", ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`], {
    cwd,
    reject: false,
  });
  return r.exitCode === 0 ? String(r.stdout).trim() : null;
}

/** The results directory as a path inside the repository (for `git show rev:path`). */
export function resultsPathInRepo(root: string, resultsDir: string): string {
  const rel = relative(root, isAbsolute(resultsDir) ? resultsDir : resolve(resultsDir));
  if (rel.startsWith("..") || isAbsolute(rel))
    throw new UserError(`${resultsDir} is outside the git repository at ${root}`);
  return rel.split("\\").join("/");
}

/** Committed summaries at a revision, read with `git show` (nothing checked out). */
export async function summariesAtRev(root: string, commit: string, resultsRel: string): Promise<SummarySet> {
  const prefix = resultsRel === "" ? "" : `${resultsRel}/`;
  const listing = await git(root, [
    "ls-tree",
    "-r",
    "--name-only",
    "-z",
    commit,
    "--",
    resultsRel === "" ? "." : resultsRel,
  ]);
  const paths = listing
    .split("\0")
    .filter((p) => p.startsWith(prefix) && /^[^/]+\/summary\.json$/.test(p.slice(prefix.length)))
    .sort();
  const summaries = new Map<string, Summary>();
  for (const p of paths) {
    const where = `${commit.slice(0, 12)}:${p}`;
    const s = parseSummary(await git(root, ["show", `${commit}:${p}`]), where);
    summaries.set(s.experiment, s);
  }
  return { label: commit.slice(0, 12), commit, summaries };
}

/** Commits in a..b and the files changed (b undefined: the working tree). */
export async function codeDrift(
  root: string,
  a: string,
  b: string | undefined,
  resultsRel: string,
): Promise<CodeDrift> {
  const log = b === undefined ? "" : await git(root, ["log", "--format=%H%x09%s", `${a}..${b}`]);
  const commits = log
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const tab = l.indexOf("\t");
      return { hash: l.slice(0, tab), subject: l.slice(tab + 1) };
    });
  const pathspec = ["--", ".", ...(resultsRel === "" ? [] : [`:(exclude,literal)${resultsRel}`])];
  const names = await git(root, [
    "-c",
    "core.quotePath=false",
    "diff",
    "--name-only",
    "--no-renames",
    a,
    ...(b ? [b] : []),
    ...pathspec,
  ]);
  const files = names.split("\n").filter((l) => l !== "");
  return { commits, files, worktree: b === undefined };
}
