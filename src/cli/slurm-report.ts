import { createInterface } from "node:readline/promises";
import { cancelSlurm } from "../exec/slurm-executor.js";
import type { SlurmSweepOutcome } from "../exec/slurm-run.js";

// Printing shared by `run --executor slurm` and `collect`: what was left to an
// earlier submission, and what to do about a sweep the user stopped following.

export function printAlreadyQueued(q: Map<string, string>): void {
  if (q.size === 0) return;
  const jobs = [...new Set([...q.values()].map((t) => t.split("_")[0]))];
  process.stdout.write(
    `${q.size} run(s) not submitted again: still queued or running in Slurm job(s) ${jobs.join(", ")}\n`,
  );
}

/** After Ctrl-C while following: scancel (asked on a terminal, or --cancel-on-interrupt), or say how to follow. */
export async function afterInterrupt(
  outcome: SlurmSweepOutcome,
  opts: { cancelOnInterrupt?: boolean; spec: string; results?: string | undefined },
): Promise<void> {
  const ids = outcome.submission?.arrays.map((a) => a.jobId) ?? [];
  if (ids.length === 0) return;
  let cancel = opts.cancelOnInterrupt === true;
  if (!cancel && process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`cancel Slurm job(s) ${ids.join(", ")} (scancel)? [y/N] `);
    rl.close();
    cancel = /^y(es)?$/i.test(answer.trim());
  }
  if (cancel) {
    await cancelSlurm(ids);
    process.stdout.write(
      `cancelled Slurm job(s) ${ids.join(", ")}; running runs checkpoint and stop; \`labelsweep run ${opts.spec} --executor slurm\` resumes them\n`,
    );
  } else {
    process.stdout.write(
      `Slurm job(s) ${ids.join(", ")} keep running. Follow them with \`labelsweep collect ${opts.spec}${opts.results === undefined ? "" : ` --results ${opts.results}`}\`; stop them with \`scancel ${ids.join(" ")}\`\n`,
    );
  }
}
