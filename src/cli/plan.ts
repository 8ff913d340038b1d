import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { dataSplits } from "../data/index.js";
import { runnerCapabilities } from "../exec/capabilities.js";
import { explainKey } from "../sweep/explain-key.js";
import { formatPlanJson, formatPlanTable } from "../sweep/plan-format.js";
import { resolveSweep } from "../sweep/resolve.js";
import { stateNotes } from "../sweep/state-notes.js";
import { collect, positiveInt } from "./options.js";

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("expand a spec into runs with run keys and status (new, done, failed, running, interrupted)")
    .argument("<spec>", "experiment spec file (YAML)")
    .option("--set <path=value>", "override a value (repeatable)", collect, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis (repeatable)", collect, [])
    .option("--results <dir>", "results directory", "results")
    .option("--max-runs <n>", "allow plans above the 10,000-run cap", positiveInt)
    .option("--json", "print the plan as JSON (full keys, configs, swept values, status)")
    .option("--explain-key <key>", "print what went into one run key (config, split, code files, packages)")
    .action(
      async (
        file: string,
        opts: {
          set: string[];
          sweep: string[];
          results: string;
          maxRuns?: number;
          json?: boolean;
          explainKey?: string;
        },
      ) => {
        const r = await resolveSweep(file, {
          set: opts.set,
          sweep: opts.sweep,
          resultsDir: opts.results,
          splits: dataSplits(dirname(resolve(file))),
          capabilities: runnerCapabilities(),
          ...(opts.maxRuns === undefined ? {} : { maxRuns: opts.maxRuns }),
        });
        if (opts.explainKey !== undefined) {
          process.stdout.write(explainKey(r.plan, opts.explainKey));
          return;
        }
        process.stdout.write(
          opts.json ? formatPlanJson(r.plan, r.statuses) : formatPlanTable(r.plan, r.statuses),
        );
        if (!opts.json)
          for (const note of stateNotes(r.plan, r.statuses, r.resultsDir)) process.stdout.write(`${note}\n`);
        for (const p of r.splitProblems) {
          process.stdout.write(
            `note: ${p}\n  keys above leave this split out; \`labelsweep run\` needs the file\n`,
          );
        }
      },
    );
}
