import { UserError } from "../../util/errors.js";

// The command engine's argv template. Each element is one argument (never a
// shell string, so spec values cannot inject commands). Placeholders:
//   {annotations} {unlabeled} {images} {eval_annotations} {eval_images}
//   {extra} {extra_images} {multilabel}
//   {out} {seed} {fold} {gpus} {num_gpus} {resume} {config}
//   {method.lambda_u}, {train.lr}, {params.noise}, …  any dotted path into the run config
// An element that is exactly one placeholder whose value is empty (e.g.
// {resume} on a first attempt, {unlabeled} for a full-label run) is dropped.

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
  for (const arg of template) {
    for (const m of arg.matchAll(PLACEHOLDER)) {
      const name = m[1]!;
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
  const out: string[] = [];
  for (const arg of template) {
    const whole = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/.exec(arg);
    const expanded = arg.replace(PLACEHOLDER, (_, name: string) => {
      if (name in values.named) return values.named[name]!;
      if (name.includes(".")) return lookup(values.config, name);
      throw new UserError(
        `command template: unknown placeholder {${name}}; known: ${NAMED_PLACEHOLDERS.join(", ")}, or a config path like {method.name}`,
      );
    });
    if (whole && expanded === "") continue;
    out.push(expanded);
  }
  return out;
}
