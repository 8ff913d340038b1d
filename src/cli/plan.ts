import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { positiveInt } from "./options.js";
import { printNotes, type SpecFlags, specArguments, specInput } from "./spec-args.js";

export function registerPlan(program: Command): void {
  specArguments(
    program
      .command("plan")
      .description(
        "expand a spec into runs with run keys and status (new, done, failed, running, interrupted)",
      ),
  )
    .option("--max-runs <n>", "allow plans above the 10,000-run cap", positiveInt)
    .option("--json", "print the plan as JSON (full keys, names, configs, swept values, status)")
    .option("--explain-key <key>", "print what went into one run key (config, split, code files, packages)")
    .action(
      async (
        file: string,
        positional: string[],
        opts: SpecFlags & { maxRuns?: number; json?: boolean; explainKey?: string },
      ) => {
        const input = specInput(file, positional, opts);
        const [
          { resolveSweep },
          { dataSplits },
          format,
          { planWarnings },
          { explainKey },
          { stateNotes },
          { runnerCapabilities },
        ] = await Promise.all([
          import("../sweep/resolve.js"),
          import("../data/split-provider.js"),
          import("../sweep/plan-format.js"),
          import("../sweep/plan-warnings.js"),
          import("../sweep/explain-key.js"),
          import("../sweep/state-notes.js"),
          import("../exec/capabilities.js"),
        ]);
        const r = await resolveSweep(file, {
          ...input,
          splits: dataSplits(dirname(resolve(file))),
          capabilities: runnerCapabilities(),
          ...(opts.maxRuns === undefined ? {} : { maxRuns: opts.maxRuns }),
        });
        printNotes(r.notes);
        if (opts.explainKey !== undefined) {
          process.stdout.write(explainKey(r.plan, opts.explainKey));
          return;
        }
        process.stdout.write(
          opts.json ? format.formatPlanJson(r.plan, r.statuses) : format.formatPlanTable(r.plan, r.statuses),
        );
        if (!opts.json)
          for (const note of stateNotes(r.plan, r.statuses, r.resultsDir)) process.stdout.write(`${note}\n`);
        for (const p of r.splitProblems) {
          process.stdout.write(
            `note: ${p}\n  keys above leave this split out; \`labelsweep run\` needs the file\n`,
          );
        }
        for (const w of planWarnings(r.plan, r.spec.table)) process.stderr.write(`warning: ${w}\n`);
      },
    );
}
