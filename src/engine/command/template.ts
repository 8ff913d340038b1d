import {
  EMPTY_BECAUSE,
  isNamedPlaceholder,
  NAMED_PLACEHOLDERS,
  PLACEHOLDER,
} from "../../spec/command-template.js";
import { expandScript, shellScriptIndex } from "../../spec/shell-script.js";
import { UserError } from "../../util/errors.js";

// Expands the command engine's argv template for one run (the syntax, and why
// an empty value is an error unless the placeholder is marked `{name?}`, are
// in spec/command-template.ts, which `validate` checks with). Each element is
// one argument (never a shell string, so spec values cannot inject commands).
// When the program is a shell run with -c (`[sh, -c, "…{x}…"]`), its script
// is parsed by that shell: there each value is quoted for it (shell-script.ts).

export { NAMED_PLACEHOLDERS, unknownPlaceholders } from "../../spec/command-template.js";

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
  const value = (name: string): string => {
    if (name in values.named) return values.named[name]!;
    if (name.includes(".")) return lookup(values.config, name);
    throw new UserError(
      `command template: unknown placeholder {${name}}; known: ${NAMED_PLACEHOLDERS.join(", ")}, or a config path like {method.name}`,
    );
  };
  /** The value, or "" for an empty optional one; an empty value not marked optional is an error. */
  const present = (name: string, optional: boolean, arg?: string): string => {
    const v = value(name);
    if (v !== "" || optional) return v;
    const why = isNamedPlaceholder(name) ? EMPTY_BECAUSE[name] : "";
    throw new UserError(
      `command template: {${name}} is empty for this run${why ? ` (${why})` : ""}; ` +
        (arg === undefined
          ? `write {${name}?} to paste nothing into the shell script when it is empty`
          : `write {${name}?} to leave the argument "${arg}" out when it is empty`),
    );
  };
  // A shell run with -c parses its script: values pasted there are quoted for it (shell-script.ts).
  const script = shellScriptIndex(template);
  const out: string[] = [];
  template.forEach((arg, i) => {
    if (i === script) {
      try {
        out.push(expandScript(arg, (name, optional) => present(name, optional)));
      } catch (err) {
        if (err instanceof UserError) throw err;
        throw new UserError(`command template: ${(err as Error).message}`);
      }
      return;
    }
    let leaveOut = false;
    const expanded = arg.replace(PLACEHOLDER, (_, name: string, optional: string | undefined) => {
      const v = present(name, optional === "?", arg);
      if (v === "") leaveOut = true;
      return v;
    });
    if (!leaveOut) out.push(expanded);
  });
  return out;
}
