import type { Command } from "commander";
import { UserError } from "../util/errors.js";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "write a self-contained HTML report: tables, references, label-budget curves, per-class AP, loss, diff",
    )
    .argument(
      "<spec|results-dir>",
      "an experiment spec (YAML) or a results directory with summary.json files",
    )
    .option("--out <file>", "the HTML file to write", "report.html")
    .option("--plots-dir <dir>", "also write each plot as SVG and PNG here")
    .option("--diff <rev...>", "add a diff view of two git revisions (A B)")
    .option("--results <dir>", "results directory (for a spec, and for --diff)", "results")
    .action(
      async (input: string, opts: { out: string; plotsDir?: string; diff?: string[]; results: string }) => {
        const { writeReport } = await import("../results/report.js");
        if (opts.diff && opts.diff.length !== 2)
          throw new UserError(`--diff takes two revisions, got ${opts.diff.length}`);
        const r = await writeReport({
          input,
          out: opts.out,
          resultsDir: opts.results,
          ...(opts.plotsDir ? { plotsDir: opts.plotsDir } : {}),
          ...(opts.diff ? { diff: [opts.diff[0]!, opts.diff[1]!] as [string, string] } : {}),
        });
        process.stdout.write(
          `wrote ${opts.out} (${r.charts.length} plot${r.charts.length === 1 ? "" : "s"})\n`,
        );
        for (const f of r.files.slice(0, -1)) process.stdout.write(`wrote ${f}\n`);
      },
    );
}
