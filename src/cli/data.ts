import { dirname, join, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { ExportLayout } from "../data/index.js";
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
    .description(
      "write files for external trainers: a shapes dataset as COCO JSON + PNGs, or (--run, --layout) one run's split",
    )
    .argument("<spec>", "experiment spec file (YAML)")
    .requiredOption("--out <dir>", "output folder")
    .option("--set <path=value>", "override a value (repeatable)", collect, [])
    .option("--sweep <path=v1,v2>", "add a sweep.grid axis (repeatable)", collect, [])
    .option("--split <names>", "shapes dataset: splits to write, train, eval or train,eval", "train,eval")
    .option("--run <index>", "write this run's split (index in the plan; default 0 for non-shapes datasets)")
    .option(
      "--layout <layout>",
      "split files as: coco (every role as COCO JSON under annotations/, VOC converted) or mmdet " +
        "(split_coco.py's instances_train2017.{fold}@{percent}[-unlabeled].json; budget compat mmdet)",
    )
    .option("--results <dir>", "results directory (default: results/ of the spec's project)")
    .option("--cache <dir>", "split cache folder (default: <results>/<experiment>/splits)")
    .action(
      async (
        file: string,
        opts: SpecFlags & {
          out: string;
          split: string;
          run?: string;
          layout?: string;
          cache?: string;
        },
      ) => {
        const [{ loadSpec }, { checkSweep }, { SpecError }, { defaultResultsDir }, stage] = await Promise.all(
          [
            import("../spec/load.js"),
            import("../sweep/plan.js"),
            import("../spec/diagnostics.js"),
            import("../sweep/project.js"),
            dataStage(),
          ],
        );
        const { spec, locate } = loadSpec(file, { set: opts.set, sweep: opts.sweep });
        if (opts.layout !== undefined && opts.layout !== "coco" && opts.layout !== "mmdet") {
          throw new UserError(`--layout: expected coco or mmdet, got ${JSON.stringify(opts.layout)}`);
        }
        if (spec.dataset.name === "shapes" && opts.run === undefined && opts.layout === undefined) {
          const shapes = stage.resolveShapesSpec(spec.dataset as ShapesDatasetSpec);
          const splits = opts.split.split(",").map((s) => s.trim());
          for (const s of splits) {
            if (s !== "train" && s !== "eval")
              throw new UserError(`--split: expected train and/or eval, got ${JSON.stringify(s)}`);
          }
          const chosen = (splits as ("train" | "eval")[]).filter(
            (s) => s === "train" || shapes.eval_images > 0,
          );
          const result = await stage.exportShapes(shapes, resolve(opts.out), { splits: chosen });
          for (const a of result.annotations) process.stdout.write(`wrote ${a}\n`);
          process.stdout.write(`wrote ${result.images} PNG image(s) under ${resolve(opts.out)}\n`);
          return;
        }
        const { expansion, diagnostics } = checkSweep(spec, { locate });
        if (!expansion || diagnostics.length > 0) throw new SpecError(diagnostics);
        const index = Number(opts.run ?? "0");
        const cell = expansion.cells[index];
        if (!Number.isInteger(index) || !cell) {
          throw new UserError(
            `--run ${opts.run}: the plan has ${expansion.cells.length} run(s) (indices 0–${expansion.cells.length - 1})`,
          );
        }
        const cacheDir = resolve(
          opts.cache ?? join(opts.results ?? defaultResultsDir(file), spec.name, "splits"),
        );
        const prepared = await stage.prepareSplitsForRuns([cell.config], cacheDir, {
          baseDir: dirname(resolve(file)),
        });
        const artifact = prepared.artifacts[0]!;
        const files = await stage.exportSplit(
          artifact,
          resolve(opts.out),
          (opts.layout ?? "coco") as ExportLayout,
        );
        process.stdout.write(
          `split ${artifact.hash.slice(0, 12)} of run ${index} (${stage.describeProtocol(artifact.manifest)})\n`,
        );
        for (const f of files) {
          process.stdout.write(
            `wrote ${f.role.padEnd(15)} ${f.path}${f.images ? `  (images: ${f.images})` : ""}\n`,
          );
        }
      },
    );
}
