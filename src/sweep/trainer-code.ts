import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { execa } from "execa";
import { glob } from "tinyglobby";
import { UserError } from "../util/errors.js";

// The command engine's part of a run's code identity: what an external
// trainer runs. (1) The tracked files of the git repository the trainer lives
// in, as they are in the work tree: a tracked file's modification counts
// before it is committed, committing it changes nothing, and untracked files
// (notes, scratch scripts, `labelsweep report` output, a node_modules symlink)
// never count — only what `git ls-files` lists can be the trainer's code.
// (2) The files the spec names in `engine.code` (globs), tracked or not: a
// config outside the repository, or a file of an untracked folder the trainer
// reads. Left out as before: the results directory, Markdown, and spec files
// (a spec enters each key through its config).

export interface TrainerCodeOptions {
  /** The spec's folder: base of relative `engine.code` globs and the fallback repository. */
  specDir: string;
  /** Absolute paths left out of the repository's files (results directory, spec files). */
  exclude: readonly string[];
  /** Folders whose YAML files are specs (left out). */
  specDirs: readonly string[];
}

export interface TrainerCode {
  /** "trainer/<path in the repository>" → git blob id; "code/<path from the spec folder>" → sha256. */
  files: Record<string, string>;
  /** Where the repository was found, for `plan --explain-key`. */
  repo: { root: string; why: string } | null;
}

async function git(cwd: string, args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await execa("git", args, { cwd, reject: false, stripFinalNewline: false });
  return { ok: !r.failed && r.exitCode === 0, out: String(r.stdout), err: String(r.stderr) };
}

async function repoRoot(dir: string): Promise<string | null> {
  const r = await git(dir, ["rev-parse", "--show-toplevel"]).catch(() => null);
  return r?.ok ? r.out.trim() : null;
}

const isFile = (p: string) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};
const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * The repository the trainer lives in: that of the first literal argument of
 * the command that names an existing file inside a git work tree (the
 * trainer's script: `python tools/train.py`), else that of `engine.cwd`, else
 * that of the spec's folder.
 */
export async function trainerRepo(
  command: readonly string[],
  cwd: string | undefined,
  specDir: string,
): Promise<{ root: string; why: string } | null> {
  const base = cwd ? resolve(cwd) : specDir;
  for (const arg of command) {
    if (arg.includes("{") || arg === "" || arg.startsWith("-")) continue;
    const path = isAbsolute(arg) ? arg : resolve(base, arg);
    if (!isFile(path)) continue;
    const root = await repoRoot(resolve(path, ".."));
    if (root) return { root, why: `the repository of ${arg}` };
  }
  if (cwd && isDir(resolve(cwd))) {
    const root = await repoRoot(resolve(cwd));
    if (root) return { root, why: `the repository of engine.cwd (${cwd})` };
  }
  const root = await repoRoot(specDir);
  return root ? { root, why: "the repository of the spec file" } : null;
}

/** git's blob id of some bytes (what `git hash-object` gives for a file without filters). */
function blobId(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** Tracked files (index entries) of a repository, with their content ids as they are in the work tree. */
async function trackedFiles(root: string, kept: (path: string) => boolean): Promise<Record<string, string>> {
  const staged = await git(root, ["-c", "core.quotePath=false", "ls-files", "--stage", "-z"]);
  if (!staged.ok) throw new UserError(`git ls-files failed in ${root}: ${staged.err.trim()}`);
  const ids = new Map<string, string>();
  for (const entry of staged.out.split("\0")) {
    if (entry === "") continue;
    // "<mode> <object> <stage>\t<path>"; a conflicted file has several stages: the last one wins.
    const tab = entry.indexOf("\t");
    const path = entry.slice(tab + 1);
    if (!kept(path)) continue;
    const [mode, object] = entry.slice(0, tab).split(" ");
    // The content's git object id; a submodule is its commit (gitlink), a symlink its target's blob.
    ids.set(path, mode === "160000" ? `commit:${object}` : object!);
  }
  // Tracked files whose work-tree content may differ from the index (git compares stat data
  // first, so a listed file may be unchanged: its content is hashed either way).
  const changed = await git(root, ["-c", "core.quotePath=false", "diff-files", "--name-only", "-z"]);
  if (!changed.ok) throw new UserError(`git diff-files failed in ${root}: ${changed.err.trim()}`);
  const paths = changed.out.split("\0").filter((p) => p !== "" && ids.has(p));
  if (paths.length > 0) {
    // git hash-object applies the repository's filters (line endings, LFS), so an
    // unchanged file gets its index id back: the identity does not depend on stat data.
    const present = paths.filter((p) => {
      try {
        lstatSync(join(root, p));
        return true;
      } catch {
        ids.delete(p); // deleted in the work tree: not part of the code any more
        return false;
      }
    });
    const links = present.filter((p) => lstatSync(join(root, p)).isSymbolicLink());
    // A submodule (gitlink) keeps the commit the index records: it is a folder, not a blob.
    const regular = present.filter((p) => !links.includes(p) && !ids.get(p)!.startsWith("commit:"));
    for (const p of links) ids.set(p, blobId(Buffer.from(readlinkSync(join(root, p)))));
    if (regular.length > 0) {
      const r = await execa("git", ["hash-object", "--stdin-paths"], {
        cwd: root,
        input: `${regular.join("\n")}\n`,
        reject: false,
      });
      if (r.failed) throw new UserError(`git hash-object failed in ${root}: ${String(r.stderr).trim()}`);
      const out = String(r.stdout).split("\n");
      regular.forEach((p, i) => {
        ids.set(p, out[i]!);
      });
    }
  }
  return Object.fromEntries([...ids.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Files matched by `engine.code` globs (relative to the spec's folder), hashed by content. */
export async function declaredFiles(
  patterns: readonly string[],
  specDir: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (patterns.length === 0) return out;
  const matched = await glob([...patterns], {
    cwd: specDir,
    onlyFiles: true,
    dot: true,
    followSymbolicLinks: true,
  });
  if (matched.length === 0) {
    throw new UserError(
      `engine.code: ${patterns.map((p) => JSON.stringify(p)).join(", ")} matches no file (from ${specDir})`,
    );
  }
  for (const rel of matched.sort()) {
    const path = resolve(specDir, rel);
    out[`code/${relative(specDir, path).split("\\").join("/")}`] = createHash("sha256")
      .update(readFileSync(path))
      .digest("hex");
  }
  return out;
}

/** The trainer's files: its repository's tracked files (less results, docs, specs) and `engine.code`. */
export async function trainerCode(
  engine: { command: readonly string[]; cwd?: string; code?: readonly string[] },
  options: TrainerCodeOptions,
): Promise<TrainerCode> {
  const files: Record<string, string> = {};
  const repo = await trainerRepo(engine.command, engine.cwd, options.specDir);
  if (repo) {
    const literal: string[] = [];
    for (const p of options.exclude) {
      const rel = relative(repo.root, p);
      if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) literal.push(rel.split("\\").join("/"));
    }
    const specDirs: string[] = [];
    for (const d of options.specDirs) {
      const rel = relative(repo.root, d);
      if (!rel.startsWith("..") && !isAbsolute(rel))
        specDirs.push(rel === "" ? "" : `${rel.split("\\").join("/")}/`);
    }
    // Markdown never changes a result; specs enter each key through their config.
    const kept = (path: string) =>
      !path.endsWith(".md") &&
      !literal.some((l) => path === l || path.startsWith(`${l}/`)) &&
      !specDirs.some((d) => path.startsWith(d) && /\.ya?ml$/.test(path));
    for (const [path, id] of Object.entries(await trackedFiles(repo.root, kept)))
      files[`trainer/${path}`] = id;
  }
  Object.assign(files, await declaredFiles(engine.code ?? [], options.specDir));
  return { files, repo };
}
