import {
  EMPTY_BECAUSE,
  isNamedPlaceholder,
  NAMED_PLACEHOLDERS,
  PLACEHOLDER,
} from "../../spec/command-template.js";
import { UserError } from "../../util/errors.js";

// Expands the command engine's argv template for one run (the syntax, and why
// an empty value is an error unless the placeholder is marked `{name?}`, are
// in spec/command-template.ts, which `validate` checks with). Each element is
// one argument (never a shell string, so spec values cannot inject commands).

export { unknownPlaceholders } from "../../spec/command-template.js";

export interface TemplateValues {
  /** Named placeholders; "" means "not available for this run". */
  named: Record<string, string>;
  /** The resolved run config, for {section.key} placeholders. */
  config: Record<string, unknown>;
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
    let leaveOut = false;
    const expanded = arg.replace(PLACEHOLDER, (_, name: string, optional: string | undefined) => {
      let value: string;
      if (name in values.named) value = values.named[name]!;
      else if (name.includes(".")) value = lookup(values.config, name);
      else
        throw new UserError(
          `command template: unknown placeholder {${name}}; known: ${NAMED_PLACEHOLDERS.join(", ")}, or a config path like {method.name}`,
        );
      if (value === "") {
        if (optional) leaveOut = true;
        else {
          const why = isNamedPlaceholder(name) ? EMPTY_BECAUSE[name] : "";
          throw new UserError(
            `command template: {${name}} is empty for this run${why ? ` (${why})` : ""}; ` +
              `write {${name}?} to leave the argument "${arg}" out when it is empty`,
          );
        }
      }
      return value;
    });
    if (!leaveOut) out.push(expanded);
  }
  return out;
}
