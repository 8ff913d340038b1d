import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { dataSplits } from "../data/index.js";
import { slurmQueueLines } from "../exec/slurm-executor.js";
import { formatPlanJson, formatPlanTable } from "../sweep/plan-format.js";
import { resolveSweep } from "../sweep/resolve.js";
import { readState } from "../sweep/run-store.js";
import { stateNotes } from "../sweep/state-notes.js";
import { collect } from "./options.js";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show which runs of a spec are done, failed, running, interrupted or new")
    .argument("<spec>", "experiment spec file (YAML)")
    .option("--set <path=value>", "override a value (repeatable)", collect, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis (repeatable)", collect, [])
    .option("--results <dir>", "results directory", "results")
    .option("--json", "print the plan with statuses as JSON")
    .action(
      async (file: string, opts: { set: string[]; sweep: string[]; results: string; json?: boolean }) => {
        const r = await resolveSweep(file, {
          ...opts,
          resultsDir: opts.results,
          splits: dataSplits(dirname(resolve(file))),
        });
        if (opts.json) {
          process.stdout.write(formatPlanJson(r.plan, r.statuses));
          return;
        }
        process.stdout.write(formatPlanTable(r.plan, r.statuses));
        r.plan.runs.forEach((run, i) => {
          if (r.statuses[i] !== "failed") return;
          const state = readState(join(r.resultsDir, r.plan.experiment, "runs", run.key));
          process.stdout.write(
            `failed ${run.key.slice(0, 12)} (attempt ${state?.attempt ?? "?"}): ${state?.error ?? "no error recorded"}\n`,
          );
        });
        for (const note of stateNotes(r.plan, r.statuses, r.resultsDir)) process.stdout.write(`${note}\n`);
        for (const line of await slurmQueueLines(r.resultsDir, r.plan.experiment))
          process.stdout.write(`${line}\n`);
      },
    );
}
