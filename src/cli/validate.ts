import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { EXIT, UserError } from "../util/errors.js";
import { collect, positiveInt } from "./options.js";
import { OVERRIDES_HELP, printNotes } from "./spec-args.js";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description(
      "check specs against the schema and every rule plan, data prepare and run apply; print every problem with file:line:column",
    )
    .argument("<spec...>", `experiment spec files (YAML), then optional ${OVERRIDES_HELP}`)
    .option("--set <path=value>", "override a value (repeatable)", collect, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis (repeatable)", collect, [])
    .option("--max-runs <n>", "allow plans above the 10,000-run cap", positiveInt)
    .action(async (args: string[], opts: { set: string[]; sweep: string[]; maxRuns?: number }) => {
      const [
        { loadSpec },
        { checkSweep },
        { SpecError },
        { looksLikeOverride, positionalOverrides },
        { duplicateNames },
        { runnerCapabilities },
        { splitSpecProblems },
        { runCount },
      ] = await Promise.all([
        import("../spec/load.js"),
        import("../sweep/plan.js"),
        import("../spec/diagnostics.js"),
        import("../spec/overrides.js"),
        import("../sweep/experiment-owner.js"),
        import("../exec/capabilities.js"),
        import("../data/split-check.js"),
        import("../sweep/chains.js"),
      ]);
      const files = args.filter((a) => !looksLikeOverride(a));
      const extra = positionalOverrides(args.filter(looksLikeOverride));
      const overrides = { set: [...opts.set, ...extra.set], sweep: [...opts.sweep, ...extra.sweep] };
      if (files.length === 0)
        throw new UserError("validate: no spec file given (overrides alone validate nothing)");
      let failed = 0;
      const capabilities = runnerCapabilities();
      const named: { file: string; name: string }[] = [];
      for (const file of files) {
        try {
          const loaded = loadSpec(file, overrides);
          printNotes(loaded.notes);
          const checked = checkSweep(loaded.spec, {
            locate: loaded.locate,
            written: loaded.written,
            capabilities,
            splitCheck: splitSpecProblems,
            specDir: dirname(resolve(file)),
            ...(opts.maxRuns === undefined ? {} : { maxRuns: opts.maxRuns }),
          });
          if (checked.diagnostics.length > 0) throw new SpecError(checked.diagnostics);
          // An active-learning cell plans a chain of cycles + 1 runs (sweep/chains.ts).
          const runs = runCount(checked.expansion?.cells ?? []);
          named.push({ file, name: loaded.spec.name });
          process.stdout.write(`ok  ${file}  (${loaded.spec.name}: ${runs} run${runs === 1 ? "" : "s"})\n`);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          failed++;
          process.stderr.write(`${err.message}\n`);
        }
      }
      const duplicates = duplicateNames(named);
      for (const d of duplicates) process.stderr.write(`${d}; give each spec its own \`name:\`\n`);
      if (failed > 0) process.stderr.write(`${failed} of ${files.length} spec file(s) invalid\n`);
      if (failed > 0 || duplicates.length > 0) process.exitCode = EXIT.usage;
    });
}
