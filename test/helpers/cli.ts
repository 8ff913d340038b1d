import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

// Runs the built CLI (bin/labelsweep.js → dist/) as a user would, with an argv array.

export const CLI = fileURLToPath(new URL("../../bin/labelsweep.js", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: opts.cwd ?? REPO_ROOT,
        env: { ...process.env, NO_COLOR: "1", ...opts.env },
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * stderr less the plan's "see each labelled image N times" warnings (issue 17 §8): tests that train
 * a few iterations on purpose get them, and assert that nothing else was printed.
 */
export function withoutPassWarnings(stderr: string): string {
  return stderr
    .split("\n")
    .filter((l) => !/^warning: .* see each labelled image [\d.]+ times \(/.test(l))
    .join("\n");
}
