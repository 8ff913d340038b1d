import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { codeIdentityOf } from "../../src/sweep/code-identity.js";
import { codeVersion, NO_GIT } from "../../src/sweep/code-version.js";
import { labelsweepCode, methodModule } from "../../src/sweep/labelsweep-code.js";
import { declaredFiles, trainerCode, trainerRepo } from "../../src/sweep/trainer-code.js";

const root = mkdtempSync(join(tmpdir(), "sweep-code-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    "git",
    ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", ...args],
    { cwd, encoding: "utf8" },
  ).trim();

function repoWithTrainer(name: string): string {
  const repo = join(root, name);
  mkdirSync(join(repo, "tools"), { recursive: true });
  mkdirSync(join(repo, "experiments"), { recursive: true });
  git(repo, "init", "-q");
  writeFileSync(join(repo, ".gitignore"), "results/\n");
  writeFileSync(join(repo, "tools", "train.py"), "print('train')\n");
  writeFileSync(join(repo, "tools", "loss.py"), "W = 1\n");
  writeFileSync(join(repo, "experiments", "a.yaml"), "name: a\n");
  git(repo, "add", ".");
  git(repo, "commit", "-q", "-m", "one");
  return repo;
}

const options = (repo: string) => ({
  specDir: join(repo, "experiments"),
  exclude: [join(repo, "experiments", "a.yaml"), join(repo, "results")],
  specDirs: [join(repo, "experiments")],
});
const engine = (extra: Record<string, unknown> = {}) => ({
  command: ["python3", "tools/train.py", "--out", "{out}"],
  cwd: undefined as string | undefined,
  ...extra,
});

describe("code version (provenance)", () => {
  it("outside a git repository is the no-git value", async () => {
    const plain = join(root, "plain");
    mkdirSync(plain);
    expect(await codeVersion(plain)).toEqual({ commit: NO_GIT, dirty: false });
  });

  it("is the commit; dirty only for tracked changes, never for untracked files or the results directory", async () => {
    const repo = repoWithTrainer("prov");
    const head = git(repo, "rev-parse", "HEAD");
    const opts = { exclude: [join(repo, "experiments", "results")] };
    expect(await codeVersion(repo, opts)).toEqual({ commit: head, dirty: false });
    writeFileSync(join(repo, "notes.txt"), "scratch");
    expect((await codeVersion(repo, opts)).dirty).toBe(false);
    writeFileSync(join(repo, "tools", "loss.py"), "W = 2\n");
    expect((await codeVersion(repo, opts)).dirty).toBe(true);
  });

  it("works before the first commit", async () => {
    const repo = join(root, "unborn");
    mkdirSync(repo);
    git(repo, "init", "-q");
    writeFileSync(join(repo, "a.ts"), "1");
    expect((await codeVersion(repo)).commit).toBe("unborn");
  });
});

describe("trainer code (command engine)", () => {
  it("finds the repository from the trainer's script, else engine.cwd, else the spec's folder", async () => {
    const repo = repoWithTrainer("find");
    const other = repoWithTrainer("find-other");
    expect((await trainerRepo(["python3", join(other, "tools", "train.py")], undefined, repo))?.root).toBe(
      other,
    );
    expect((await trainerRepo(["python3", "tools/train.py"], other, repo))?.root).toBe(other);
    expect((await trainerRepo(["python3", "-c", "pass"], undefined, join(repo, "experiments")))?.root).toBe(
      repo,
    );
    const plain = join(root, "find-plain");
    mkdirSync(plain);
    expect(await trainerRepo(["python3"], undefined, plain)).toBeNull();
  });

  it("hashes tracked files as they are in the work tree; untracked files never count", async () => {
    const repo = repoWithTrainer("tracked");
    const first = await trainerCode(engine({ cwd: repo }), options(repo));
    expect(Object.keys(first.files).sort()).toEqual([
      "trainer/.gitignore",
      "trainer/tools/loss.py",
      "trainer/tools/train.py",
    ]);
    // Scratch: untracked files, an untracked folder, a node_modules symlink, ignored results.
    writeFileSync(join(repo, "notes.txt"), "x");
    writeFileSync(join(repo, "report.html"), "<html>");
    mkdirSync(join(repo, "scratch"));
    writeFileSync(join(repo, "scratch", "try.py"), "W = 3\n");
    symlinkSync(root, join(repo, "node_modules"));
    mkdirSync(join(repo, "results", "a"), { recursive: true });
    writeFileSync(join(repo, "results", "a", "summary.json"), "{}");
    expect((await trainerCode(engine({ cwd: repo }), options(repo))).files).toEqual(first.files);

    // A tracked modification counts before it is committed; committing it changes nothing more.
    writeFileSync(join(repo, "tools", "loss.py"), "W = 2\n");
    const edited = await trainerCode(engine({ cwd: repo }), options(repo));
    expect(edited.files["trainer/tools/loss.py"]).not.toBe(first.files["trainer/tools/loss.py"]);
    git(repo, "commit", "-q", "-am", "loss");
    expect((await trainerCode(engine({ cwd: repo }), options(repo))).files).toEqual(edited.files);
    // Touching a file without changing it changes nothing.
    writeFileSync(join(repo, "tools", "loss.py"), "W = 2\n");
    expect((await trainerCode(engine({ cwd: repo }), options(repo))).files).toEqual(edited.files);

    // Docs, the spec files and the results directory are left out even when tracked.
    writeFileSync(join(repo, "README.md"), "# docs\n");
    writeFileSync(join(repo, "experiments", "b.yaml"), "name: b\n");
    git(repo, "add", "-f", "README.md", "experiments/b.yaml", "results/a/summary.json");
    expect((await trainerCode(engine({ cwd: repo }), options(repo))).files).toEqual(edited.files);
    // A new tracked source file counts as soon as it is added.
    git(repo, "add", "scratch/try.py");
    expect((await trainerCode(engine({ cwd: repo }), options(repo))).files["trainer/scratch/try.py"]).toMatch(
      /^[0-9a-f]{40}$/,
    );
    // A deleted tracked file is no longer code.
    rmSync(join(repo, "tools", "loss.py"));
    expect(
      (await trainerCode(engine({ cwd: repo }), options(repo))).files["trainer/tools/loss.py"],
    ).toBeUndefined();
  });

  it("engine.code adds files by glob from the spec's folder, tracked or not; a glob matching nothing is an error", async () => {
    const repo = repoWithTrainer("globs");
    mkdirSync(join(repo, "configs"));
    writeFileSync(join(repo, "configs", "r50.py"), "depth = 50\n");
    const files = await declaredFiles(["../configs/*.py"], join(repo, "experiments"));
    expect(Object.keys(files)).toEqual(["code/../configs/r50.py"]);
    writeFileSync(join(repo, "configs", "r50.py"), "depth = 101\n");
    expect(await declaredFiles(["../configs/*.py"], join(repo, "experiments"))).not.toEqual(files);
    await expect(declaredFiles(["../nothing/*.py"], join(repo, "experiments"))).rejects.toThrow(
      /matches no file/,
    );
  });
});

describe("labelsweep's own code (tfjs engine)", () => {
  it("is the result closure plus the run's own method file, never another method's, never the registry", () => {
    const code = labelsweepCode("tfjs", { method: "supervised" });
    const files = Object.keys(code.files);
    expect(files).toContain("labelsweep/engine/train/loop.ts");
    expect(files).toContain("labelsweep/eval/coco-eval.ts");
    expect(files).toContain("labelsweep/data/protocols/budget.ts");
    expect(files).toContain(`labelsweep/${methodModule("supervised")}`);
    expect(files).not.toContain("labelsweep/engine/methods/registry.ts");
    // Rooms that do not compute a result are not in it.
    expect(files.filter((f) => /labelsweep\/(cli|exec|results)\//.test(f))).toEqual([]);
    expect(code.packages["@tensorflow/tfjs-core"]).toMatch(/^\d+\.\d+\.\d+/);
    // Without a method: no method file (so adding a method re-keys no other method's runs).
    const none = Object.keys(labelsweepCode("tfjs").files);
    expect(none.filter((f) => /engine\/methods\/[^/]+$/.test(f) && !f.endsWith("types.ts"))).toEqual([]);
    expect(none.every((f) => files.includes(f))).toBe(true);
    expect(files.filter((f) => !none.includes(f))).toContain(`labelsweep/${methodModule("supervised")}`);
  });

  it("a tfjs run's identity does not depend on the user's repository", async () => {
    const repo = repoWithTrainer("tfjs");
    const config = {
      engine: { name: "tfjs" as const, backend: "wasm" as const },
      method: { name: "supervised" as const },
    };
    const a = await codeIdentityOf(config, options(repo));
    writeFileSync(join(repo, "tools", "loss.py"), "W = 9\n");
    writeFileSync(join(repo, "notes.txt"), "x");
    const b = await codeIdentityOf(config, options(join(root, "plain")));
    expect(b.hash).toBe(a.hash);
    expect(Object.keys(a.manifest.files).every((f) => f.startsWith("labelsweep/"))).toBe(true);
    // The backend decides which TensorFlow.js packages can run.
    const auto = await codeIdentityOf(
      { ...config, engine: { name: "tfjs", backend: "auto" } },
      options(repo),
    );
    expect(Object.keys(auto.manifest.packages)).toContain("@tensorflow/tfjs-node");
    expect(Object.keys(a.manifest.packages)).not.toContain("@tensorflow/tfjs-node");
  });
});
