import { isAbsolute, relative, resolve } from "node:path";
import { execa } from "execa";

// The git state of the repository that holds a spec: recorded in each run's
// run.json and in the summary's environment as provenance ("which commit made
// these numbers, and was it clean?"). It is not the run's identity: that is
// code-identity.ts, which an untracked file never changes. Dirty means a
// tracked file differs from HEAD (results directory left out: runs write
// there); untracked files are not code and do not make the tree dirty.

export const NO_GIT = "no-git";
export const UNBORN = "unborn";

export { PACKAGE_VERSION } from "./labelsweep-code.js";

export interface CodeVersion {
  /** The git commit (full hash), or "no-git" outside a repository, or "unborn" before the first commit. */
  commit: string;
  /** Whether a tracked file has uncommitted changes. */
  dirty: boolean;
}

export interface CodeVersionOptions {
  /** Paths whose changes do not make the tree dirty (the results directory). */
  exclude?: readonly string[];
}

async function git(cwd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  const r = await execa("git", args, { cwd, reject: false }).catch(() => null);
  return r ? { ok: !r.failed && r.exitCode === 0, out: String(r.stdout).trim() } : { ok: false, out: "" };
}

/** The commit and cleanliness of the git work tree holding `dir`; `{commit: "no-git"}` outside one. */
export async function codeVersion(dir: string, options: CodeVersionOptions = {}): Promise<CodeVersion> {
  const top = await git(dir, ["rev-parse", "--show-toplevel"]);
  if (!top.ok) return { commit: NO_GIT, dirty: false };
  const root = top.out;
  const head = await git(root, ["rev-parse", "--verify", "--quiet", "HEAD"]);
  const pathspec = ["--", "."];
  for (const p of options.exclude ?? []) {
    const rel = relative(root, isAbsolute(p) ? p : resolve(dir, p));
    if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) pathspec.push(`:(exclude,literal)${rel}`);
  }
  // status refreshes stat data in memory, so a touched but unchanged file is not "dirty".
  const status = await git(root, ["status", "--porcelain", "--untracked-files=no", ...pathspec]);
  return { commit: head.ok ? head.out : UNBORN, dirty: status.ok && status.out !== "" };
}
