import { mkdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { execa } from "execa";
import type { CommandEngineSpec } from "../../spec/types.js";
import type { RunRecord } from "../../sweep/run-record.js";
import { appendNoFollow, RUN_FILES } from "../../sweep/run-store.js";
import { writeJsonAtomic } from "../../util/atomic-write.js";
import { UserError } from "../../util/errors.js";
import {
  type Metrics,
  parseDetectron2,
  parseJsonLines,
  parseMmengineScalars,
  parsePycocotools,
} from "./metrics-parsers.js";
import { describeScale, type ScaleReport, toFractions } from "./metrics-scale.js";
import { lineSplitter, type ProgressLine, progressFromLine } from "./progress-lines.js";
import { expandTemplate } from "./template.js";

// Runs an external trainer for one run: expands its argv template, runs it
// without a shell in the spec's folder (engine.cwd, relative to that folder,
// when set), tees its output into the run's log, turns the JSON progress lines
// it prints into progress events, forwards a stop request as SIGTERM, and
// reads its metrics. A failure's message carries the tail of its stderr.

/** Lines of the trainer's stderr quoted in a failure message. */
export const STDERR_TAIL_LINES = 8;

export interface CommandContext {
  dir: string;
  record: RunRecord;
  resume: boolean;
  /** GPU ids assigned by the executor ("" on CPU). */
  gpus: string;
  signal: AbortSignal;
  /** Progress events from the trainer's JSON lines (progress-lines.ts). */
  onProgress?: (event: ProgressLine) => void;
  /** Called once the trainer's process has started. */
  onSpawn?: () => void;
}

function stderrTail(text: string): string {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length === 0) return "";
  return `; its stderr ends:\n${lines
    .slice(-STDERR_TAIL_LINES)
    .map((l) => `  | ${l}`)
    .join("\n")}`;
}

export type CommandOutcome =
  | { kind: "metrics"; metrics: Metrics; source: string; scale: ScaleReport }
  | { kind: "predictions"; file: string }
  | { kind: "stopped" };

export async function runCommandEngine(
  engine: CommandEngineSpec,
  ctx: CommandContext,
): Promise<CommandOutcome> {
  const out = join(ctx.dir, RUN_FILES.out);
  mkdirSync(out, { recursive: true });
  const configFile = join(ctx.dir, "config.json");
  await writeJsonAtomic(configFile, ctx.record.config);
  const files = ctx.record.split.files;
  const named: Record<string, string> = {
    annotations: files.annotations ?? "",
    unlabeled: files.unlabeled ?? "",
    images: files.images ?? "",
    eval_annotations: files.eval_annotations ?? "",
    eval_images: files.eval_images ?? "",
    extra: files.extra ?? "",
    extra_images: files.extra_images ?? "",
    multilabel: files.multilabel ?? "",
    unlabeled_extra: files.unlabeled_extra ?? "",
    holdout: files.holdout ?? "",
    mmdet_labeled: files.mmdet_labeled ?? "",
    mmdet_unlabeled: files.mmdet_unlabeled ?? "",
    out,
    seed: String(ctx.record.config.seed),
    fold: String((ctx.record.config.labels as { fold?: number }).fold ?? ""),
    gpus: ctx.gpus,
    num_gpus: String(ctx.gpus === "" ? 0 : ctx.gpus.split(",").length),
    resume: ctx.resume ? out : "",
    config: configFile,
  };
  const argv = expandTemplate(engine.command, {
    named,
    config: ctx.record.config as unknown as Record<string, unknown>,
  });
  if (ctx.resume) argv.push(...(engine.resume_args ?? []));
  const [file, ...args] = argv;
  if (!file) throw new UserError("engine.command expands to an empty argv");
  const log = join(ctx.dir, RUN_FILES.log);
  appendNoFollow(log, `labelsweep worker: running ${JSON.stringify([file, ...args])}\n`);
  // The spec's folder, as the README's `python tools/train.py …` example assumes; run.json
  // records it (records written before it existed fall back to the run's out/).
  const base = ctx.record.specDir ?? out;
  const cwd = engine.cwd ? resolve(base, engine.cwd) : base;
  const child = execa(file, args, {
    cwd,
    env: { ...engine.env, LABELSWEEP_RUN_DIR: ctx.dir, LABELSWEEP_OUT: out },
    stdin: "ignore",
    stdout: ["pipe", { file: log, append: true }],
    stderr: ["pipe", { file: log, append: true }],
    all: true,
    reject: false,
    cancelSignal: ctx.signal,
    forceKillAfterDelay: 30_000,
    killSignal: "SIGTERM",
    timeout: engine.timeout ? engine.timeout * 1000 : undefined,
  });
  if (ctx.onProgress && child.stdout) {
    const total = (ctx.record.config.train as { iterations?: number } | undefined)?.iterations;
    const lines = lineSplitter((line) => {
      const event = progressFromLine(line, total);
      if (event) ctx.onProgress?.(event);
    });
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => lines.push(chunk));
    child.stdout.on("end", () => lines.end());
  }
  child.once("spawn", () => ctx.onSpawn?.());
  const result = await child;
  if (ctx.signal.aborted) return { kind: "stopped" };
  const stderr = typeof result.stderr === "string" ? result.stderr : "";
  if (result.timedOut)
    throw new UserError(`external trainer timed out after ${engine.timeout} s${stderrTail(stderr)}`, 1);
  if (result.failed) {
    if ((result as { code?: string }).code === "ENOENT")
      throw new UserError(
        `cannot start the external trainer: no program ${JSON.stringify(file)} (working directory ${cwd})`,
        1,
      );
    const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
    throw new UserError(`external trainer ${how}${stderrTail(stderr)} (full output in the run's log)`, 1);
  }
  const output = typeof result.all === "string" ? result.all : "";
  const source = engine.metrics;
  const readOut = (name: string) => {
    const path = isAbsolute(name) ? name : join(out, name);
    try {
      return readFileSync(path, "utf8");
    } catch {
      throw new UserError(`the trainer finished but wrote no ${path} (engine.metrics.file)`, 1);
    }
  };
  if (source.from === "predictions")
    return { kind: "predictions", file: isAbsolute(source.file) ? source.file : join(out, source.file) };
  const parsed =
    source.from === "pycocotools"
      ? parsePycocotools(source.file ? readOut(source.file) : output)
      : source.from === "detectron2"
        ? parseDetectron2(source.file ? readOut(source.file) : output, source.task ?? "bbox")
        : source.from === "mmengine"
          ? parseMmengineScalars(readOut(source.file))
          : parseJsonLines(source.file ? readOut(source.file) : output);
  const { metrics, scale } = toFractions(parsed, source.scale);
  appendNoFollow(log, `labelsweep worker: ${describeScale(scale)}\n`);
  return { kind: "metrics", metrics, source: source.from, scale };
}
