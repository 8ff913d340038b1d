import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codeVersion, NO_GIT } from "../../src/sweep/code-version.js";

const root = mkdtempSync(join(tmpdir(), "sweep-code-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    "git",
    ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", ...args],
    {
      cwd,
      encoding: "utf8",
    },
  ).trim();

describe("code version", () => {
  it("outside a git repository is the no-git value", async () => {
    const plain = join(root, "plain");
    mkdirSync(plain);
    const v = await codeVersion(plain);
    expect(v.commit).toBe(NO_GIT);
    expect(v.dirty).toBe(false);
    expect(v.dirtyHash).toBeNull();
    expect(v.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("is the commit when clean, plus a hash of tracked and untracked changes when dirty", async () => {
    const repo = join(root, "repo");
    mkdirSync(join(repo, "src"), { recursive: true });
    git(repo, "init", "-q");
    writeFileSync(join(repo, ".gitignore"), "results/\n");
    writeFileSync(join(repo, "src", "loss.ts"), "export const w = 1;\n");
    writeFileSync(join(repo, "spec.yaml"), "name: a\n");
    git(repo, "add", ".");
    git(repo, "commit", "-q", "-m", "one");
    const head = git(repo, "rev-parse", "HEAD");

    const clean = await codeVersion(join(repo, "src"));
    expect(clean).toMatchObject({ commit: head, dirty: false, dirtyHash: null });

    // Ignored output does not make the tree dirty.
    mkdirSync(join(repo, "results"));
    writeFileSync(join(repo, "results", "x.json"), "{}");
    expect((await codeVersion(repo)).dirtyHash).toBeNull();

    writeFileSync(join(repo, "src", "loss.ts"), "export const w = 2;\n");
    const edited = await codeVersion(repo);
    expect(edited.commit).toBe(head);
    expect(edited.dirty).toBe(true);
    expect(edited.dirtyHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await codeVersion(repo)).dirtyHash).toBe(edited.dirtyHash);

    // Staging does not change the hash (diff against HEAD), new content does.
    git(repo, "add", "src/loss.ts");
    expect((await codeVersion(repo)).dirtyHash).toBe(edited.dirtyHash);
    writeFileSync(join(repo, "src", "new.ts"), "export {};\n");
    const untracked = await codeVersion(repo);
    expect(untracked.dirtyHash).not.toBe(edited.dirtyHash);
    writeFileSync(join(repo, "src", "new.ts"), "export const x = 1;\n");
    expect((await codeVersion(repo)).dirtyHash).not.toBe(untracked.dirtyHash);

    // The spec files themselves and the results directory can be left out.
    const before = (await codeVersion(repo)).dirtyHash;
    writeFileSync(join(repo, "spec.yaml"), "name: a\ndescription: cosmetic\n");
    writeFileSync(join(repo, "notes.txt"), "x");
    const ex = { exclude: [join(repo, "spec.yaml"), "notes.txt"] };
    expect((await codeVersion(repo, ex)).dirtyHash).toBe(before);
    expect((await codeVersion(repo)).dirtyHash).not.toBe(before);
  });

  it("keys the code's content: a commit of results, docs or specs keeps the tree hash, a code change does not", async () => {
    const repo = join(root, "tree");
    mkdirSync(join(repo, "src"), { recursive: true });
    mkdirSync(join(repo, "experiments"), { recursive: true });
    git(repo, "init", "-q");
    writeFileSync(join(repo, "src", "loss.ts"), "export const w = 1;\n");
    writeFileSync(join(repo, "experiments", "a.yaml"), "name: a\n");
    git(repo, "add", ".");
    git(repo, "commit", "-q", "-m", "one");
    const opts = { exclude: [join(repo, "results")], specDirs: [join(repo, "experiments")] };
    const first = await codeVersion(repo, opts);
    expect(first.tree).toMatch(/^[0-9a-f]{64}$/);

    mkdirSync(join(repo, "results", "a"), { recursive: true });
    writeFileSync(join(repo, "results", "a", "summary.json"), "{}");
    writeFileSync(join(repo, "README.md"), "# notes\n");
    writeFileSync(join(repo, "experiments", "b.yaml"), "name: b\n");
    git(repo, "add", ".");
    git(repo, "commit", "-q", "-m", "results and docs");
    const second = await codeVersion(repo, opts);
    expect(second.commit).not.toBe(first.commit);
    expect(second.tree).toBe(first.tree);
    expect(second.dirty).toBe(false);

    writeFileSync(join(repo, "src", "loss.ts"), "export const w = 2;\n");
    git(repo, "commit", "-q", "-am", "code");
    expect((await codeVersion(repo, opts)).tree).not.toBe(first.tree);
  });

  it("works before the first commit", async () => {
    const repo = join(root, "unborn");
    mkdirSync(repo);
    git(repo, "init", "-q");
    writeFileSync(join(repo, "a.ts"), "1");
    const v = await codeVersion(repo);
    expect(v.commit).toBe("unborn");
    expect(v.dirtyHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
