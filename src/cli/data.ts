import { dirname, join, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { ShapesDatasetSpec } from "../spec/types.js";
import { EXIT, UserError } from "../util/errors.js";
import { collect } from "./options.js";
import { printNotes, type SpecFlags, specArguments, specInput } from "./spec-args.js";

// The data stage loads on first use: `labelsweep --help` never pays for it.
const dataStage = () => import("../data/index.js");

// `labelsweep data …`: parse arguments, call the data stage, print.

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number ≥ 1");
  return n;
}

export function registerData(program: Command): void {
  const data = program
    .command("data")
    .description("prepare, inspect and export label-protocol split artifacts");

  specArguments(
    data
      .command("prepare")
      .description("build every split a spec's runs need (cached by content) and print their counts"),
  )
    .option("--cache <dir>", "split cache folder (default: <results>/<experiment>/splits)")
    .option("--max-runs <n>", "allow sweeps above the 10,000-run cap", positiveInt)
    .action(
      async (file: string, positional: string[], opts: SpecFlags & { cache?: string; maxRuns?: number }) => {
        const input = specInput(file, positional, opts);
        const [
          { loadSpec },
          { checkSweep },
          { SpecError },
          { defaultResultsDir },
          { prepareSplitsForRuns, formatSplitTable },
        ] = await Promise.all([
          import("../spec/load.js"),
          import("../sweep/plan.js"),
          import("../spec/diagnostics.js"),
          import("../sweep/project.js"),
          dataStage(),
        ]);
        const { spec, locate, notes } = loadSpec(file, input);
        printNotes(notes);
        const { expansion, diagnostics } = checkSweep(spec, {
          locate,
          ...(opts.maxRuns === undefined ? {} : { maxRuns: opts.maxRuns }),
        });
        if (!expansion || diagnostics.length > 0) throw new SpecError(diagnostics);
        const cacheDir = resolve(
          opts.cache ?? join(input.resultsDir ?? defaultResultsDir(file), spec.name, "splits"),
        );
        const runs = expansion.cells.map((c) => c.config);
        const prepared = await prepareSplitsForRuns(runs, cacheDir, { baseDir: dirname(resolve(file)) });
        const rows = prepared.artifacts.map((a) => ({
          label: a.dir.slice(cacheDir.length + 1),
          manifest: a.manifest,
          hash: a.hash,
        }));
        process.stdout.write(`${formatSplitTable(rows)}\n`);
        const fresh = prepared.artifacts.filter((a) => !a.cached).length;
        process.stdout.write(
          `${prepared.artifacts.length} split(s) for ${runs.length} run(s) in ${cacheDir} ` +
            `(${fresh} new, ${prepared.artifacts.length - fresh} cached)\n`,
        );
      },
    );

  data
    .command("inspect")
    .description("show a split artifact's manifest and check its files against their sha256")
    .argument("<artifact>", "split artifact folder (or its manifest.json)")
    .option("--classes", "print per-class counts")
    .option("--json", "print the manifest and the checks as JSON")
    .action(async (path: string, opts: { classes?: boolean; json?: boolean }) => {
      const { inspectSplit, describeProtocol, formatClassTable } = await dataStage();
      const report = await inspectSplit(path);
      const m = report.manifest;
      const bad = report.checks.filter((c) => c.status === "changed" || c.status === "missing");
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ hash: report.hash, manifest: m, checks: report.checks }, null, 2)}\n`,
        );
      } else {
        const out: string[] = [];
        out.push(`split      ${report.dir}`);
        out.push(`hash       ${report.hash}`);
        out.push(`dataset    ${m.dataset.name} (${m.dataset.format})`);
        out.push(`protocol   ${describeProtocol(m)}, fold ${m.fold}  ${JSON.stringify(m.params)}`);
        out.push(`generator  ${m.generator.name} ${m.generator.version}`);
        for (const i of m.inputs) out.push(`input      ${i.role.padEnd(9)} ${i.name}  sha256 ${i.sha256}`);
        for (const c of report.checks) {
          out.push(`output     ${c.role.padEnd(9)} ${c.path}  ${c.status}${c.note ? ` (${c.note})` : ""}`);
        }
        const im = m.counts.images;
        out.push(
          `images     ${im.labeled} labelled, ${im.unlabeled} unlabelled` +
            `${im.unlabeled_extra ? `, ${im.unlabeled_extra} extra unlabelled` : ""}` +
            `${im.extra ? `, ${im.extra} image-level extra` : ""} (of ${im.total})`,
        );
        out.push(`boxes      ${m.counts.boxes.visible} visible of ${m.counts.boxes.total}`);
        const zero = m.counts.zero_label_classes;
        out.push(`zero-label classes  ${zero.length ? zero.join(", ") : "none"}`);
        if (Object.keys(m.details).length) out.push(`details    ${JSON.stringify(m.details)}`);
        if (opts.classes) out.push("", formatClassTable(m));
        process.stdout.write(`${out.join("\n")}\n`);
      }
      if (bad.length > 0) {
        process.stderr.write(
          `${bad.length} output(s) do not match the manifest: ${bad.map((c) => c.path).join(", ")}\n`,
        );
        process.exitCode = EXIT.failure;
      }
    });

  data
    .command("export")
    .description("write a spec's shapes dataset as COCO JSON + PNG files, for external trainers")
    .argument("<spec>", "experiment spec file (YAML) whose dataset is shapes")
    .requiredOption("--out <dir>", "output folder (annotations/instances_<split>.json, <split>/<index>.png)")
    .option("--set <path=value>", "override a value (repeatable)", collect, [])
    .option("--split <names>", "splits to write: train, eval or train,eval", "train,eval")
    .action(async (file: string, opts: { out: string; set: string[]; split: string }) => {
      const [{ loadSpec }, { resolveShapesSpec, exportShapes }] = await Promise.all([
        import("../spec/load.js"),
        dataStage(),
      ]);
      const { spec } = loadSpec(file, { set: opts.set, sweep: [] });
      if (spec.dataset.name !== "shapes") {
        throw new UserError(
          `${file}: dataset.name is ${JSON.stringify(spec.dataset.name)}; data export writes the shapes dataset`,
        );
      }
      const shapes = resolveShapesSpec(spec.dataset as ShapesDatasetSpec);
      const splits = opts.split.split(",").map((s) => s.trim());
      for (const s of splits) {
        if (s !== "train" && s !== "eval")
          throw new UserError(`--split: expected train and/or eval, got ${JSON.stringify(s)}`);
      }
      const chosen = (splits as ("train" | "eval")[]).filter((s) => s === "train" || shapes.eval_images > 0);
      const result = await exportShapes(shapes, resolve(opts.out), { splits: chosen });
      for (const a of result.annotations) process.stdout.write(`wrote ${a}\n`);
      process.stdout.write(`wrote ${result.images} PNG image(s) under ${resolve(opts.out)}\n`);
    });
}
