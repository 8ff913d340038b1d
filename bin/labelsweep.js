#!/usr/bin/env node
// Thin launcher: the CLI lives in dist/ (built by `npm run build`).
import { main } from "../dist/cli/main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`labelsweep: internal error: ${err?.stack ?? err}\n`);
    process.exitCode = 70;
  },
);
