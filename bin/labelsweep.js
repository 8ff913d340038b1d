#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm run build`).
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    "labelsweep: the CLI is not built (dist/cli/main.js is missing); run `npm run build` in the labelsweep folder first\n",
  );
  process.exit(70);
}
const { main } = await import(entry.href);
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`labelsweep: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
