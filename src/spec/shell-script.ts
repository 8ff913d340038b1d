// `engine.command: [sh, -c, "train --arch {detector.arch} …"]`: the argv
// template is not a shell string, but here its program IS a shell, and the
// argument after -c is a script it parses. A value pasted into that script
// unquoted is code (issue 11: `--set 'detector.arch=x;touch …;#'` ran the
// touch). So every value substituted into such a script is quoted for the
// shell, as one single-quoted word ('…', with ' written '\''): POSIX sh,
// bash, dash, zsh and ksh all read it back as exactly the value.
//
// A single-quoted word is only the value where the shell reads a word: a
// placeholder that the script itself puts inside quotes ('{x}', "{x}",
// $'{x}') would be spliced into them instead, so that is refused — write it
// bare and labelsweep quotes it.

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "yash", "posh"]);

/** Options of sh/bash that take the next argument as their value (so it is not the script). */
const OPTION_WITH_VALUE = new Set(["-o", "+o", "-O", "+O", "--rcfile", "--init-file"]);

const basename = (p: string) => p.slice(p.lastIndexOf("/") + 1);

/**
 * Index of the script argument when the template runs a shell with -c
 * (directly or through `env [NAME=value…]`), else -1.
 */
export function shellScriptIndex(template: readonly string[]): number {
  let i = 0;
  if (template[0] !== undefined && basename(template[0]) === "env") {
    i = 1;
    while (i < template.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(template[i]!) || template[i] === "-i"))
      i++;
  }
  const program = template[i];
  if (program === undefined || !SHELLS.has(basename(program))) return -1;
  let sawC = false;
  for (let j = i + 1; j < template.length; j++) {
    const arg = template[j]!;
    if (arg === "--") continue;
    if (/^[-+][A-Za-z]+$/.test(arg) && !arg.startsWith("--")) {
      if (arg.startsWith("-") && arg.includes("c")) sawC = true;
      if (OPTION_WITH_VALUE.has(arg)) j++;
      continue;
    }
    if (arg.startsWith("--")) {
      if (OPTION_WITH_VALUE.has(arg)) j++;
      continue;
    }
    return sawC ? j : -1;
  }
  return -1;
}

/** One shell word that the shell reads back as exactly `value`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface PlaceholderContext {
  /** Offset of the placeholder's "{" in the script. */
  at: number;
  name: string;
  /** Where the shell would read it: bare (a word), or inside the script's own quotes. */
  context: "bare" | "single-quoted" | "double-quoted" | "ansi-c-quoted";
}

const PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}/;

/** Finds each placeholder of a shell script and the quoting it sits in (quotes and backslashes; comments too). */
export function scriptPlaceholders(script: string): PlaceholderContext[] {
  const out: PlaceholderContext[] = [];
  let state: "bare" | "single-quoted" | "double-quoted" | "ansi-c-quoted" = "bare";
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    // ${NAME} is the shell's own parameter expansion, not a placeholder.
    if (ch === "{" && script[i - 1] !== "$") {
      const m = PLACEHOLDER.exec(script.slice(i));
      if (m) {
        out.push({ at: i, name: m[1]!, context: state });
        i += m[0].length - 1;
        continue;
      }
    }
    if (state === "single-quoted") {
      if (ch === "'") state = "bare";
    } else if (state === "ansi-c-quoted") {
      if (ch === "\\") i++;
      else if (ch === "'") state = "bare";
    } else if (state === "double-quoted") {
      if (ch === "\\") i++;
      else if (ch === '"') state = "bare";
    } else if (ch === "\\") i++;
    else if (ch === "'") state = "single-quoted";
    else if (ch === '"') state = "double-quoted";
    else if (ch === "$" && script[i + 1] === "'") {
      state = "ansi-c-quoted";
      i++;
    }
  }
  return out;
}

/**
 * The script with each placeholder replaced by its value quoted for the shell;
 * `value` throws for an unknown name. Throws a message for a quoted placeholder.
 */
export function expandScript(script: string, value: (name: string) => string): string {
  let out = "";
  let last = 0;
  for (const p of scriptPlaceholders(script)) {
    if (p.context !== "bare")
      throw new Error(
        `{${p.name}} is ${p.context} in a shell -c script: write it without quotes (labelsweep quotes every value for the shell)`,
      );
    out += script.slice(last, p.at) + shellQuote(value(p.name));
    last = p.at + p.name.length + 2;
  }
  return out + script.slice(last);
}

/** Problems of a shell-script template: placeholders the script quotes itself. */
export function shellTemplateProblems(template: readonly string[]): { index: number; message: string }[] {
  const index = shellScriptIndex(template);
  if (index < 0) return [];
  return scriptPlaceholders(template[index]!)
    .filter((p) => p.context !== "bare")
    .map((p) => ({
      index,
      message:
        `{${p.name}} is ${p.context} in a shell -c script: write it without quotes — ` +
        "labelsweep quotes every substituted value for the shell, and a value inside the script's own quotes could end them",
    }));
}
