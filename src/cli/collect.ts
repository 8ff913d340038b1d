import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { dataSplits } from "../data/index.js";
import { readSubmissions } from "../exec/slurm-executor.js";
import { followSweep } from "../exec/slurm-run.js";
import { writeSummary } from "../results/summary.js";
import { summaryInputOf } from "../results/summary-input.js";
import { label } from "../sweep/plan-format.js";
import { resolveSweep } from "../sweep/resolve.js";
import { EXIT } from "../util/errors.js";
import { collect as collectOpt } from "./options.js";
import { afterInterrupt } from "./slurm-report.js";

export function registerCollect(program: Command): void {
  program
    .command("collect")
    .description("follow a detached Slurm sweep until its tasks end, then write its summary and table")
    .argument("<spec>", "experiment spec file (YAML)")
    .option("--set <path=value>", "override a value (repeatable)", collectOpt, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis (repeatable)", collectOpt, [])
    .option("--results <dir>", "results directory", "results")
    .option("--no-wait", "do not follow running jobs: write the summary from what has finished")
    .option("--cancel-on-interrupt", "scancel the jobs on Ctrl-C without asking")
    .action(
      async (
        file: string,
        opts: { set: string[]; sweep: string[]; results: string; wait: boolean; cancelOnInterrupt?: boolean },
      ) => {
        const r = await resolveSweep(file, {
          set: opts.set,
          sweep: opts.sweep,
          resultsDir: opts.results,
          splits: dataSplits(dirname(resolve(file))),
        });
        const submission = readSubmissions(r.resultsDir, r.plan.experiment).at(-1);
        let stop: (() => void) | undefined;
        const onSigint = () => {
          process.stderr.write("\nstopped following the Slurm jobs\n");
          stop?.();
        };
        process.on("SIGINT", onSigint);
        const input = summaryInputOf(r);
        let failed = 0;
        try {
          if (submission && opts.wait) {
            const labels = new Map(r.plan.runs.map((run) => [run.key, label(r.plan, run)]));
            const followed = await followSweep(submission, {
              plan: r.plan,
              labels,
              resultsDir: r.resultsDir,
              out: process.stdout,
              onStopHandle: (s) => {
                stop = s;
              },
            });
            for (const f of followed.results.filter((x) => x.outcome === "failed")) {
              failed++;
              process.stdout.write(`\nFAILED ${f.key.slice(0, 12)}: ${f.error ?? "see its log"}\n`);
              for (const line of f.logTail) process.stdout.write(`  | ${line}\n`);
            }
            if (followed.stoppedFollowing) {
              await afterInterrupt(
                { ...followed, submission, alreadyQueued: new Map(), detached: false },
                {
                  spec: file,
                  results: opts.results,
                  ...(opts.cancelOnInterrupt ? { cancelOnInterrupt: true } : {}),
                },
              );
              process.exitCode = 130;
            }
          } else if (!submission) {
            process.stdout.write(
              `no Slurm submission under ${join(r.resultsDir, r.plan.experiment, "slurm")}\n`,
            );
          }
        } finally {
          process.off("SIGINT", onSigint);
        }
        const table = await writeSummary(input);
        process.stdout.write(`\n${table}`);
        const fresh = await resolveSweep(file, {
          set: opts.set,
          sweep: opts.sweep,
          resultsDir: opts.results,
          splits: dataSplits(dirname(resolve(file))),
        });
        const count = (s: string) => fresh.statuses.filter((x) => x === s).length;
        process.stdout.write(
          `\n${fresh.plan.runs.length} runs: ${count("done")} done, ${count("failed")} failed, ${count("running")} running, ${count("interrupted")} interrupted, ${count("new")} new. Results in ${r.resultsDir}/${r.plan.experiment}/\n`,
        );
        if (failed > 0 || count("failed") > 0) process.exitCode ??= EXIT.failure;
      },
    );
}
