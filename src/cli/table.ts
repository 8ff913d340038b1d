import { dirname, join, resolve } from "node:path";
import { type Command, Option } from "commander";
import { dataSplits } from "../data/index.js";
import { renderCsv, renderLatex } from "../results/render-table.js";
import { buildSummary, collectOutcomes, writeSummary } from "../results/summary.js";
import { summaryInputOf } from "../results/summary-input.js";
import { resolveSweep } from "../sweep/resolve.js";
import { collect } from "./options.js";

export function registerTable(program: Command): void {
  program
    .command("table")
    .description("write results/<experiment>/summary.json and the table files, and print the table")
    .argument("<spec>", "experiment spec file (YAML)")
    .option("--set <path=value>", "override a value (repeatable)", collect, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis (repeatable)", collect, [])
    .option("--results <dir>", "results directory", "results")
    .addOption(
      new Option("--format <format>", "what to print").choices(["md", "csv", "latex", "json"]).default("md"),
    )
    .action(
      async (file: string, opts: { set: string[]; sweep: string[]; results: string; format: string }) => {
        const r = await resolveSweep(file, {
          ...opts,
          resultsDir: opts.results,
          splits: dataSplits(dirname(resolve(file))),
        });
        const input = summaryInputOf(r);
        const md = await writeSummary(input);
        if (opts.format === "md") {
          process.stdout.write(md);
          return;
        }
        const { summary, agg } = buildSummary(input, collectOutcomes(input));
        if (opts.format === "json") process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        else if (opts.format === "csv") process.stdout.write(renderCsv(agg));
        else process.stdout.write(renderLatex(agg, input.table));
        process.stderr.write(`wrote ${join(r.resultsDir, r.plan.experiment)}/summary.json\n`);
      },
    );
}
