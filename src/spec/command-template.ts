// The syntax of `engine.command`, the command engine's argv template: what
// `validate` checks and the engine expands (engine/command/template.ts), so
// both read one definition.
//
//   {annotations} {unlabeled} {images} {eval_annotations} {eval_images}
//   {extra} {extra_images} {multilabel} {unlabeled_extra} {holdout}
//   {mmdet_labeled} {mmdet_unlabeled} (budget compat mmdet: split_coco.py's files)
//   {out} {seed} {fold} {gpus} {num_gpus} {resume} {config}
//   {method.lambda_u}, {train.lr}, {params.noise}, …  any dotted path into the run config
//
// A placeholder whose value is empty for a run (no unlabelled images, no
// checkpoint yet, no GPU) is an error, never a silently vanished argument
// that shifts the flags after it. `{name?}` marks a placeholder optional:
// when its value is empty the whole argument holding it is left out, so an
// optional flag is written as one argument: `--resume-from={resume?}`. In a
// shell -c script (spec/shell-script.ts) an empty optional placeholder pastes
// nothing, and `${NAME}` stays the shell's own.

import { scriptPlaceholders, shellScriptIndex } from "./shell-script.js";

export const NAMED_PLACEHOLDERS = [
  "annotations",
  "unlabeled",
  "images",
  "eval_annotations",
  "eval_images",
  "extra",
  "extra_images",
  "multilabel",
  "unlabeled_extra",
  "holdout",
  "mmdet_labeled",
  "mmdet_unlabeled",
  "out",
  "seed",
  "fold",
  "gpus",
  "num_gpus",
  "resume",
  "config",
] as const;
export type NamedPlaceholder = (typeof NAMED_PLACEHOLDERS)[number];

/** Sections of the run config a `{section.key}` placeholder may read. */
export const CONFIG_SECTIONS: readonly string[] = [
  "dataset",
  "labels",
  "detector",
  "method",
  "train",
  "engine",
  "eval",
  "params",
];

/** `{name}` or `{name?}`; group 1 the name, group 2 the optional mark. */
export const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)(\?)?\}/g;

export interface Placeholder {
  name: string;
  optional: boolean;
  /** Index of the template argument it is in. */
  arg: number;
}

export function placeholdersOf(template: readonly string[]): Placeholder[] {
  const out: Placeholder[] = [];
  const script = shellScriptIndex(template);
  template.forEach((text, arg) => {
    if (arg === script) {
      for (const p of scriptPlaceholders(text)) out.push({ name: p.name, optional: p.optional, arg });
      return;
    }
    for (const m of text.matchAll(PLACEHOLDER)) out.push({ name: m[1]!, optional: m[2] === "?", arg });
  });
  return out;
}

export function isNamedPlaceholder(name: string): name is NamedPlaceholder {
  return (NAMED_PLACEHOLDERS as readonly string[]).includes(name);
}

/** `{method.lambda_u}`: a dotted path into one of the run config's sections. */
export function isConfigPlaceholder(name: string): boolean {
  return name.includes(".") && CONFIG_SECTIONS.includes(name.split(".")[0]!);
}

/** Placeholder names a template uses that are neither named nor config paths. */
export function unknownPlaceholders(template: readonly string[]): string[] {
  return placeholdersOf(template)
    .map((p) => p.name)
    .filter((name) => !isNamedPlaceholder(name) && !isConfigPlaceholder(name));
}

/** Why a named placeholder can be empty, for the error that says so. */
export const EMPTY_BECAUSE: Readonly<Record<NamedPlaceholder, string>> = {
  annotations: "the run has no split (a dataset without dataset.train)",
  unlabeled: "the run's split has no unlabelled images",
  images: "the run's split names no image folder",
  eval_annotations: "the dataset has no evaluation annotations",
  eval_images: "the dataset has no evaluation image folder",
  extra: "the run has no labels.extra images",
  extra_images: "the run's extra images have no folder",
  multilabel: "only labels.protocol single-positive writes a multi-label file",
  unlabeled_extra: "the dataset has no dataset.unlabeled images",
  holdout: "the run's split has no held-out images",
  mmdet_labeled: "only labels.compat mmdet writes mmdetection's files",
  mmdet_unlabeled: "only labels.compat mmdet writes mmdetection's files",
  out: "",
  seed: "",
  fold: "",
  gpus: "the run is on a CPU slot",
  num_gpus: "",
  resume: "a run's first attempt has no checkpoint to resume",
  config: "",
};
