import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { lstat, readFile, readlink } from "node:fs/promises";
import { isAbsolute, join, relative, resolve } from "node:path";
import { execa } from "execa";
import type { CodeVersion } from "./run-key.js";

// The code part of a run key: the git commit plus, when the work tree is
// dirty, a hash of what is not committed (`git diff HEAD` of tracked files and
// the contents of untracked, non-ignored files), so an edit to a loss function
// gives new keys before it is committed (RUNNERS.md §4.6: Guild's `--needed`
// ignores the code digest; we must not). Computed once per plan.

export const NO_GIT = "no-git";
/** labelsweep's own version (two levels above src/sweep/ and dist/sweep/). */
export const PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
export const UNBORN = "unborn";

export interface CodeVersionOptions {
  /**
   * Paths left out of the dirty hash: the results directory (written by runs)
   * and the spec files themselves (their content already enters each key
   * through the config, and a cosmetic edit such as the description must not
   * change every key).
   */
  exclude?: readonly string[];
  /** Folders whose YAML files are specs (left out: a spec enters each key through its config). */
  specDirs?: readonly string[];
}

async function git(cwd: string, args: string[]): Promise<{ ok: boolean; out: Uint8Array }> {
  const r = await execa("git", args, { cwd, reject: false, encoding: "buffer", stripFinalNewline: false });
  return { ok: !r.failed && r.exitCode === 0, out: r.stdout as Uint8Array };
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8").trim();

async function fileDigest(path: string): Promise<string> {
  const info = await lstat(path);
  const h = createHash("sha256");
  if (info.isSymbolicLink()) h.update(`link:${await readlink(path)}`);
  else if (info.isFile()) h.update(await readFile(path));
  else h.update(`other:${info.mode}`);
  return h.digest("hex");
}

/** The code version of the git work tree holding `dir`; `{commit: "no-git"}` outside one. */
export async function codeVersion(dir: string, options: CodeVersionOptions = {}): Promise<CodeVersion> {
  const top = await git(dir, ["rev-parse", "--show-toplevel"]);
  if (!top.ok) return { commit: NO_GIT, tree: null, dirty: false, dirtyHash: null, version: PACKAGE_VERSION };
  const root = text(top.out);

  const head = await git(root, ["rev-parse", "--verify", "--quiet", "HEAD"]);
  const commit = head.ok ? text(head.out) : UNBORN;

  // Markdown never changes a result; specs enter each key through their config.
  const pathspec = ["--", ".", ":(exclude,glob)**/*.md"];
  const literal: string[] = [];
  for (const p of options.exclude ?? []) {
    const rel = relative(root, isAbsolute(p) ? p : resolve(dir, p));
    if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) {
      pathspec.push(`:(exclude,literal)${rel}`);
      literal.push(rel);
    }
  }
  const specDirs: string[] = [];
  for (const d of options.specDirs ?? []) {
    const rel = relative(root, isAbsolute(d) ? d : resolve(dir, d));
    if (rel.startsWith("..") || isAbsolute(rel)) continue;
    const prefix = rel === "" ? "" : `${rel}/`;
    specDirs.push(prefix);
    pathspec.push(`:(exclude,glob)${prefix}**/*.yaml`, `:(exclude,glob)${prefix}**/*.yml`);
  }
  const kept = (path: string) =>
    !path.endsWith(".md") &&
    !literal.some((l) => path === l || path.startsWith(`${l}/`)) &&
    !specDirs.some((d) => path.startsWith(d) && /\.ya?ml$/.test(path));
  let tree: string | null = null;
  if (head.ok) {
    // ls-tree takes no pathspec magic: list everything, then leave out what cannot change a result.
    const listing = await git(root, ["ls-tree", "-r", "-z", "--full-tree", "HEAD"]);
    if (!listing.ok) throw new Error(`git ls-tree failed in ${root}`);
    const entries = Buffer.from(listing.out)
      .toString("utf8")
      .split("\0")
      .filter((e) => e !== "" && kept(e.slice(e.indexOf("\t") + 1)));
    tree = createHash("sha256").update(entries.join("\0")).digest("hex");
  }
  const diffArgs = [
    "-c",
    "core.quotePath=false",
    "diff",
    "--binary",
    "--no-color",
    "--no-ext-diff",
    "--no-renames",
  ];
  const diffs = head.ok
    ? [await git(root, [...diffArgs, "HEAD", ...pathspec])]
    : [await git(root, [...diffArgs, "--cached", ...pathspec]), await git(root, [...diffArgs, ...pathspec])];
  const untracked = await git(root, ["ls-files", "--others", "--exclude-standard", "-z", ...pathspec]);
  for (const r of [...diffs, untracked]) {
    if (!r.ok) throw new Error(`git failed in ${root} while hashing uncommitted changes`);
  }

  const files = Buffer.from(untracked.out)
    .toString("utf8")
    .split("\0")
    .filter((f) => f !== "")
    .sort();
  const diffBytes = diffs.reduce((n, d) => n + d.out.length, 0);
  if (diffBytes === 0 && files.length === 0)
    return { commit, tree, dirty: false, dirtyHash: null, version: PACKAGE_VERSION };

  const h = createHash("sha256");
  for (const d of diffs) h.update(d.out).update("\0");
  for (const f of files) h.update(`${f}\0${await fileDigest(join(root, f))}\0`);
  return { commit, tree, dirty: true, dirtyHash: h.digest("hex"), version: PACKAGE_VERSION };
}
