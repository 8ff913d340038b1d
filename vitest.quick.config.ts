import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

// `npm run test:quick`: the spec language, plans and run keys, label protocols, evaluators (exact
// against the reference tools), tables and reports, the CLI's commands and start-up — everything
// that does not train a model, run a sweep end to end, start a Slurm cluster, drive a browser or
// build git histories.
// CI runs the whole suite (`npm test`); README "Set up" lists what each covers.
// (Not mergeConfig: it would append these globs to the base config's test/**.)
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      "test/architecture/**/*.test.ts",
      "test/spec/**/*.test.ts",
      "test/sweep/**/*.test.ts",
      "test/data/**/*.test.ts",
      "test/eval/**/*.test.ts",
      "test/results/**/*.test.ts",
      "test/cli/**/*.test.ts",
      "test/exec/eta.test.ts",
      "test/exec/slurm-units.test.ts",
    ],
    // Runs 16 stand-in trainer runs: with the runner's end-to-end tests in `npm test`.
    exclude: ["test/results/report-daily.test.ts"],
  },
});
