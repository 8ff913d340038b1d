import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { UserError } from "../util/errors.js";

export function registerLs(program: Command): void {
  program
    .command("ls")
    .description("list the experiments in a results folder: runs by status, last activity, table")
    .argument("[results]", "results folder (default: results/ of the project you are in)")
    .option("--json", "print the list as JSON")
    .action(async (dir: string | undefined, opts: { json?: boolean }) => {
      const [{ listExperiments, ago }, { cwdResultsDir }] = await Promise.all([
        import("../results/experiments-list.js"),
        import("../sweep/project.js"),
      ]);
      const resultsDir = dir === undefined ? cwdResultsDir() : resolve(dir);
      const list = listExperiments(resultsDir);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ results: resultsDir, experiments: list }, null, 2)}\n`);
        return;
      }
      if (list.length === 0) {
        if (dir !== undefined)
          throw new UserError(`${resultsDir}: no experiments here (no summary.json or runs/)`);
        process.stdout.write(`no experiments in ${resultsDir} yet; \`labelsweep run <spec>\` makes one\n`);
        return;
      }
      const show = (p: string) => {
        const rel = relative(process.cwd(), p);
        return rel.startsWith("..") ? p : rel;
      };
      // Runs whose state.json cannot be read (corrupt, or written by a newer labelsweep): shown only when there are some.
      const unreadable = list.some((e) => e.runs.corrupt + e.runs.unknown > 0);
      const rows = list.map((e) => [
        e.experiment,
        String(e.runs.total),
        String(e.runs.done),
        String(e.runs.failed),
        String(e.runs.running),
        String(e.runs.interrupted),
        ...(unreadable ? [String(e.runs.corrupt + e.runs.unknown)] : []),
        ago(e.lastActivity),
        e.table ? show(e.table) : "–",
      ]);
      const fromSummary = list.some((e) => e.counted === "summary");
      if (fromSummary)
        list.forEach((e, i) => {
          if (e.counted === "summary") rows[i]![0] = `${e.experiment} *`;
        });
      const heads = [
        "experiment",
        "runs",
        "done",
        "failed",
        "running",
        "interrupted",
        ...(unreadable ? ["unreadable"] : []),
        "last activity",
        "table",
      ];
      const widths = heads.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
      const numeric = (c: number) => c >= 1 && c <= (unreadable ? 6 : 5);
      const line = (cells: string[]) =>
        cells
          .map((t, c) =>
            c === cells.length - 1 ? t : numeric(c) ? t.padStart(widths[c]!) : t.padEnd(widths[c]!),
          )
          .join("  ");
      process.stdout.write(`${line(heads)}\n${rows.map(line).join("\n")}\n`);
      process.stdout.write(`\n${list.length} experiment(s) in ${show(resultsDir)}\n`);
      if (fromSummary)
        process.stdout.write(
          "* counted from summary.json: its run folders are not here (git keeps only summaries)\n",
        );
    });
}
