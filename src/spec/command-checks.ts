import {
  EMPTY_BECAUSE,
  isConfigPlaceholder,
  isNamedPlaceholder,
  NAMED_PLACEHOLDERS,
  type NamedPlaceholder,
  placeholdersOf,
} from "./command-template.js";
import { datasetHasSplit } from "./compat.js";
import type { Diagnostic, KeyPath } from "./diagnostics.js";
import { didYouMean } from "./suggest.js";
import type { JsonValue } from "./types.js";

// The command engine's template, checked against the run config it will be
// expanded for: every placeholder must be known, every `{section.key}` must
// name a value of this run (a parameter of the run's own method, not of
// another), a placeholder that is empty for this run must be marked optional
// (`{name?}`, spec/command-template.ts), the program must be there, and the
// metrics source must name the file it reads.

type Obj = { [k: string]: JsonValue };
const obj = (v: JsonValue | undefined): Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};

/** Metric sources that read a file the trainer writes (there is no stdout fallback for them). */
const NEEDS_FILE: Readonly<Record<string, string>> = {
  predictions: "the trainer's COCO results file, which labelsweep evaluates",
  mmengine: "mmengine's scalars.json (e.g. vis_data/scalars.json)",
  jsonl: "the file of JSON lines the trainer writes (its log mixes stdout and stderr)",
};

/** Named placeholders that are empty for every run of this config (the split's roles, a first attempt). */
function emptyFor(config: Obj): Partial<Record<NamedPlaceholder, string>> {
  const dataset = obj(config.dataset);
  const labels = obj(config.labels);
  const out: Partial<Record<NamedPlaceholder, string>> = { resume: EMPTY_BECAUSE.resume };
  if (!datasetHasSplit(dataset)) {
    const why = `dataset ${JSON.stringify(dataset.name)} names no annotations (dataset.train), so it has no split`;
    for (const k of ["annotations", "images", "unlabeled", "eval_annotations", "eval_images"] as const)
      out[k] = why;
  }
  const protocol = labels.protocol;
  if (protocol !== "budget" && protocol !== "active" && out.unlabeled === undefined) {
    out.unlabeled = `labels.protocol ${String(protocol)} leaves no unlabelled training images`;
  }
  if (labels.extra === undefined) {
    out.extra = EMPTY_BECAUSE.extra;
    out.extra_images = EMPTY_BECAUSE.extra;
  }
  if (protocol !== "single-positive") out.multilabel = EMPTY_BECAUSE.multilabel;
  if (dataset.unlabeled === undefined) out.unlabeled_extra = EMPTY_BECAUSE.unlabeled_extra;
  if (labels.compat !== "cole") out.holdout = "only labels.compat cole holds out a validation split";
  if (labels.compat !== "mmdet" || protocol !== "budget") {
    out.mmdet_labeled = EMPTY_BECAUSE.mmdet_labeled;
    out.mmdet_unlabeled = EMPTY_BECAUSE.mmdet_unlabeled;
  }
  return out;
}

function configProblem(config: Obj, name: string): { message: string; hint?: string } | undefined {
  // An active sweep's cycle runs each get labels.cycle when the plan expands its chains (sweep/chains.ts).
  if (name === "labels.cycle" && obj(config.labels).protocol === "active") return undefined;
  const parts = name.split(".");
  let node: JsonValue | undefined = config;
  for (let i = 0; i < parts.length; i++) {
    const here = obj(node);
    const part = parts[i]!;
    if (node === null || typeof node !== "object" || Array.isArray(node) || !Object.hasOwn(here, part)) {
      const at =
        i === 1 && parts[0] === "method"
          ? `method "${String(obj(config.method).name)}"`
          : parts.slice(0, i).join(".");
      const keys = Object.keys(here);
      return {
        message:
          `{${name}} names no value of this run's config: ${at} has no "${part}"` +
          (keys.length > 0 ? ` (it has ${keys.join(", ")})` : ""),
        ...(didYouMean(part, keys) ? { hint: didYouMean(part, keys)! } : {}),
      };
    }
    node = here[part];
  }
  return undefined;
}

export function commandProblems(config: Obj): Diagnostic[] {
  const engine = obj(config.engine);
  if (!Array.isArray(engine.command)) return [];
  const out: Diagnostic[] = [];
  const add = (path: KeyPath, message: string, hint?: string) =>
    out.push({ path, message, at: "value", ...(hint ? { hint } : {}) });
  const template = engine.command.filter((a): a is string => typeof a === "string");
  if (template.length !== engine.command.length) return out; // the schema reports non-strings

  const program = template[0];
  if (program !== undefined && program.trim() === "") {
    add(
      ["engine", "command", 0],
      "the program (the first element) is empty; expected the trainer to run, e.g. python",
    );
  }
  const empty = emptyFor(config);
  for (const p of placeholdersOf(template)) {
    const at = ["engine", "command", p.arg];
    if (isNamedPlaceholder(p.name)) {
      const why = empty[p.name];
      if (p.arg === 0 && (p.optional || why)) {
        add(
          at,
          `the program cannot be a placeholder that may be empty ({${p.name}${p.optional ? "?" : ""}})`,
        );
      } else if (why && !p.optional) {
        add(
          at,
          `{${p.name}} is empty for this run (${why}); write {${p.name}?} to leave the argument out then`,
        );
      }
    } else if (isConfigPlaceholder(p.name)) {
      const bad = configProblem(config, p.name);
      if (bad) add(at, bad.message, bad.hint);
    } else {
      add(
        at,
        `unknown placeholder {${p.name}}; known: ${NAMED_PLACEHOLDERS.join(", ")}, or a config path like {method.name}`,
        didYouMean(p.name, NAMED_PLACEHOLDERS),
      );
    }
  }
  const resumeArgs = Array.isArray(engine.resume_args) ? engine.resume_args : [];
  resumeArgs.forEach((arg, i) => {
    if (typeof arg === "string" && placeholdersOf([arg]).length > 0) {
      add(
        ["engine", "resume_args", i],
        "resume_args are appended as written, placeholders and all; put the placeholder in engine.command (e.g. --resume-from={resume?})",
      );
    }
  });

  const metrics = obj(engine.metrics);
  const from = metrics.from;
  if (
    typeof from === "string" &&
    NEEDS_FILE[from] &&
    (typeof metrics.file !== "string" || metrics.file === "")
  ) {
    add(
      ["engine", "metrics", "from"],
      `metrics.from ${from} reads ${NEEDS_FILE[from]}: give engine.metrics.file (relative to {out})`,
    );
  }
  return out;
}
