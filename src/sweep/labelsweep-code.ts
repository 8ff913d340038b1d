import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

// labelsweep's own part of a run's code identity: the files of labelsweep that
// a run executes, and the versions of the npm packages they import. It is read
// from the modules that are running (dist/*.js after `npm run build` or in an
// installed package, src/*.ts under the test runner), so it needs neither git
// nor the sources, and it is the code that really produces the result.
//
// Which files: the static-import closure of the modules that compute a run's
// result (the engine's training entry, the split derivation, the evaluator),
// not "every file of a room". So an unrelated module (the CLI, the report, the
// Slurm executor), a file that nothing imports any more (a stale file left in
// dist/), or a method other than the run's own never changes its key.
//
// Methods: the registry loads each method with a dynamic import, which the
// closure does not follow; the run's own method file (and what it imports:
// methods/shared/…) is added for the runs of that method only. Adding a new
// method file therefore re-keys no finished run of another method, although
// its registry line changes registry.ts (which is in every closure): that is
// why registry.ts is left out of the identity — it only maps names to files,
// and a run's file is named in the identity itself.

/** The root the running modules live under (dist/ or src/): two levels above this file. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const EXT = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
/** labelsweep's package.json (the package root is one level above ROOT). */
const PACKAGE_JSON = join(ROOT, "..", "package.json");

export const PACKAGE_VERSION: string = (JSON.parse(readFileSync(PACKAGE_JSON, "utf8")) as { version: string })
  .version;

/** Entry modules (relative to ROOT, without extension) whose closure computes a result, per engine. */
export const RESULT_ENTRIES = {
  tfjs: ["engine/run-tfjs", "engine/split-inputs", "data/prepare-runs", "eval/run-eval"],
  command: ["engine/command/run-command", "data/prepare-runs", "eval/run-eval"],
} as const;

const METHOD_REGISTRY = `engine/methods/registry${EXT}`;
/** Left out of every identity (see the header): the method name → file map. */
const NOT_IDENTITY = new Set([METHOD_REGISTRY]);

// import/export declarations at the start of a line (what tsc emits): `import x, { a } from "m"`,
// `export * from "m"`, `import "m"`; never a "from" inside a comment or a string.
const SPECIFIER =
  /^(?:import|export)\s+(?:type\s+)?(?:\*(?:\s+as\s+[\w$]+)?|\{[^}]*\}|[\w$]+(?:\s*,\s*(?:\{[^}]*\}|\*\s+as\s+[\w$]+))?)\s*from\s*["']([^"']+)["']|^import\s*["']([^"']+)["']/gm;

interface ModuleInfo {
  digest: string;
  local: string[];
  packages: string[];
  text: string;
}

const modules = new Map<string, ModuleInfo>();

function moduleInfo(rel: string): ModuleInfo {
  let info = modules.get(rel);
  if (info) return info;
  const file = join(ROOT, rel);
  const bytes = readFileSync(file);
  const text = bytes.toString("utf8");
  const local: string[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = (m[1] ?? m[2])!;
    if (spec.startsWith(".")) {
      const target = relative(ROOT, resolve(dirname(file), spec))
        .split(sep)
        .join("/");
      local.push(EXT === ".ts" ? target.replace(/\.js$/, ".ts") : target);
    } else if (!spec.startsWith("node:")) {
      packages.push(packageName(spec));
    }
  }
  info = { digest: createHash("sha256").update(bytes).digest("hex"), local, packages, text };
  modules.set(rel, info);
  return info;
}

/** "@scope/name/sub" → "@scope/name"; "name/sub" → "name". */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** The static-import closure of some modules: files (relative to ROOT) and bare packages. */
function closure(entries: readonly string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const stack = [...entries];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    if (files.has(rel)) continue;
    files.add(rel);
    const info = moduleInfo(rel);
    for (const p of info.packages) packages.add(p);
    for (const l of info.local) if (!files.has(l)) stack.push(l);
  }
  return { files, packages };
}

/** The module a method name loads, from the registry's `name: () => import(…)` line (the quoted module path). */
export function methodModule(name: string): string | null {
  const registry = moduleInfo(METHOD_REGISTRY).text;
  for (const line of registry.split("\n")) {
    const m = /^\s*["']?([A-Za-z0-9_-]+)["']?\s*:\s*\(\)\s*=>\s*import\(\s*["'](\.\/[^"']+)["']\s*\)/.exec(
      line,
    );
    if (m && m[1] === name) {
      const target = `engine/methods/${m[2]!.slice(2)}`;
      return EXT === ".ts" ? target.replace(/\.js$/, ".ts") : target;
    }
  }
  return null;
}

const versions = new Map<string, string>();

/** An installed package's version, as resolved from labelsweep's own location; "not installed" when absent. */
export function packageVersion(name: string): string {
  let v = versions.get(name);
  if (v !== undefined) return v;
  v = "not installed";
  // Walk up from labelsweep's root through every node_modules, as Node's resolution does.
  let dir = join(ROOT, "..");
  for (;;) {
    const file = join(dir, "node_modules", name, "package.json");
    if (existsSync(file)) {
      v = (JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version ?? "unknown";
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  versions.set(name, v);
  return v;
}

export interface LabelsweepCode {
  /** "labelsweep/<path under dist or src>" → sha256 of the file. */
  files: Record<string, string>;
  /** npm package → installed version ("not installed" for an absent optional one). */
  packages: Record<string, string>;
}

/**
 * labelsweep's code for one kind of run: the engine's entry closure, the
 * method's own module (tfjs), and the packages they import plus any loaded by
 * name at run time (`extraPackages`, e.g. the optional native backends).
 */
export function labelsweepCode(
  engine: keyof typeof RESULT_ENTRIES,
  options: { method?: string; extraPackages?: readonly string[] } = {},
): LabelsweepCode {
  const entries: string[] = RESULT_ENTRIES[engine].map((e) => `${e}${EXT}`);
  if (options.method) {
    const file = methodModule(options.method);
    if (file) entries.push(file);
  }
  const { files, packages } = closure(entries);
  for (const p of options.extraPackages ?? []) packages.add(p);
  const out: LabelsweepCode = { files: {}, packages: {} };
  for (const f of [...files].sort())
    if (!NOT_IDENTITY.has(f)) out.files[`labelsweep/${f}`] = moduleInfo(f).digest;
  for (const p of [...packages].sort()) out.packages[p] = packageVersion(p);
  return out;
}
