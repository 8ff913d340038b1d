import { expandScript, scriptPlaceholders, shellScriptIndex } from "../../spec/shell-script.js";
import { UserError } from "../../util/errors.js";

// The command engine's argv template. Each element is one argument (never a
// shell string, so spec values cannot inject commands). Placeholders:
//   {annotations} {unlabeled} {images} {eval_annotations} {eval_images}
//   {extra} {extra_images} {multilabel} {unlabeled_extra} {holdout}
//   {mmdet_labeled} {mmdet_unlabeled} (budget compat mmdet: split_coco.py's files)
//   {out} {seed} {fold} {gpus} {num_gpus} {resume} {config}
//   {method.lambda_u}, {train.lr}, {params.noise}, …  any dotted path into the run config
// An element that is exactly one placeholder whose value is empty (e.g.
// {resume} on a first attempt, {unlabeled} for a full-label run) is dropped.
// When the program is a shell run with -c (`[sh, -c, "…{x}…"]`), its script
// is parsed by that shell: there each value is quoted for it (shell-script.ts).

export interface TemplateValues {
  /** Named placeholders; "" means "not available for this run". */
  named: Record<string, string>;
  /** The resolved run config, for {section.key} placeholders. */
  config: Record<string, unknown>;
}

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

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

const CONFIG_SECTIONS = new Set([
  "dataset",
  "labels",
  "detector",
  "method",
  "train",
  "engine",
  "eval",
  "params",
]);

/** Placeholder names a template uses that are neither named nor config paths (for spec validation). */
export function unknownPlaceholders(template: readonly string[]): string[] {
  const unknown: string[] = [];
  const script = shellScriptIndex(template);
  for (const [i, arg] of template.entries()) {
    // In a shell script, ${NAME} is the shell's own expansion (shell-script.ts).
    const names =
      i === script
        ? scriptPlaceholders(arg).map((p) => p.name)
        : [...arg.matchAll(PLACEHOLDER)].map((m) => m[1]!);
    for (const name of names) {
      const section = name.split(".")[0]!;
      if (
        !(NAMED_PLACEHOLDERS as readonly string[]).includes(name) &&
        !(name.includes(".") && CONFIG_SECTIONS.has(section))
      ) {
        unknown.push(name);
      }
    }
  }
  return unknown;
}

function lookup(config: Record<string, unknown>, path: string): string {
  let cur: unknown = config;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !(part in (cur as object))) {
      throw new UserError(`command template: {${path}} names no value in the run config`);
    }
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === "string" ? cur : JSON.stringify(cur);
}

export function expandTemplate(template: readonly string[], values: TemplateValues): string[] {
  const value = (name: string): string => {
    if (name in values.named) return values.named[name]!;
    if (name.includes(".")) return lookup(values.config, name);
    throw new UserError(
      `command template: unknown placeholder {${name}}; known: ${NAMED_PLACEHOLDERS.join(", ")}, or a config path like {method.name}`,
    );
  };
  // A shell run with -c parses its script: values pasted there are quoted for it (shell-script.ts).
  const script = shellScriptIndex(template);
  const out: string[] = [];
  template.forEach((arg, i) => {
    if (i === script) {
      try {
        out.push(expandScript(arg, value));
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`command template: ${(err as Error).message}`);
      }
      return;
    }
    const whole = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/.exec(arg);
    const expanded = arg.replace(PLACEHOLDER, (_, name: string) => value(name));
    if (whole && expanded === "") return;
    out.push(expanded);
  });
  return out;
}
