import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { SpecError } from "../spec/diagnostics.js";
import { loadSpec } from "../spec/load.js";
import { runCount } from "../sweep/chains.js";
import { checkSweep } from "../sweep/plan.js";
import { EXIT, UserError } from "../util/errors.js";
import { collect, positiveInt } from "./options.js";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description(
      "check specs against the schema and the semantic rules; print every problem with file:line:column",
    )
    .argument("<spec...>", "experiment spec files (YAML)")
    .option("--set <path=value>", "override a value (repeatable)", collect, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis (repeatable)", collect, [])
    .option("--max-runs <n>", "allow plans above the 10,000-run cap", positiveInt)
    .action((files: string[], opts: { set: string[]; sweep: string[]; maxRuns?: number }) => {
      let failed = 0;
      for (const file of files) {
        try {
          const loaded = loadSpec(file, opts);
          const checked = checkSweep(loaded.spec, {
            locate: loaded.locate,
            specDir: dirname(resolve(file)),
            ...(opts.maxRuns === undefined ? {} : { maxRuns: opts.maxRuns }),
          });
          if (checked.diagnostics.length > 0) throw new SpecError(checked.diagnostics);
          const runs = runCount(checked.expansion?.cells ?? []);
          process.stdout.write(`ok  ${file}  (${loaded.spec.name}: ${runs} run${runs === 1 ? "" : "s"})\n`);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          failed++;
          process.stderr.write(`${err.message}\n`);
        }
      }
      if (failed > 0) {
        process.stderr.write(`${failed} of ${files.length} spec file(s) invalid\n`);
        process.exitCode = EXIT.usage;
      }
    });
}
