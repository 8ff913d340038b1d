import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

// Where an experiment's results live when no --results is given: under the
// spec's project, not the current directory, so `labelsweep plan spec.yaml`
// run from experiments/ sees the same runs as `labelsweep run
// experiments/spec.yaml` from the project root (issue 17 §4).
//
// The project is the folder that holds the `experiments/` folder the spec sits
// in (at any depth: experiments/base/x.yaml too); a spec outside any
// experiments/ folder is its own project (its folder).

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** The project folder of a spec file (absolute). */
export function projectOf(specPath: string): string {
  const start = dirname(resolve(specPath));
  for (let dir = start; ; dir = dirname(dir)) {
    if (basename(dir) === "experiments") return dirname(dir);
    if (dirname(dir) === dir) return start;
  }
}

/** `<project>/results` for a spec (absolute). */
export function defaultResultsDir(specPath: string): string {
  return join(projectOf(specPath), "results");
}

/**
 * The results folder of the project a person stands in, for commands without
 * a spec (`ls`, `report <dir>`): the current folder when it holds experiments/
 * or results/, the parent of an experiments/ folder one stands in, else ./results.
 */
export function cwdResultsDir(cwd: string = process.cwd()): string {
  const here = resolve(cwd);
  if (existsSync(join(here, "results")) || isDir(join(here, "experiments"))) return join(here, "results");
  for (let dir = here; dirname(dir) !== dir; dir = dirname(dir)) {
    if (basename(dir) === "experiments") return join(dirname(dir), "results");
  }
  return join(here, "results");
}
