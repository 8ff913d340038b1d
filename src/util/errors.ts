// Errors a person can act on. A UserError is printed as its message alone (no
// stack trace) and ends the CLI with its exit code.

/** Exit codes used by every command. */
export const EXIT = {
  ok: 0,
  /** Some run failed, or a regression was found. */
  failure: 1,
  /** Bad input: the spec, a flag, a file. Nothing was written. */
  usage: 2,
} as const;

export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.usage) {
    super(message);
    this.name = "UserError";
    this.exitCode = exitCode;
  }
}

/** Fails loudly for a capability that is planned but not built yet. */
export class NotImplementedError extends UserError {
  constructor(what: string) {
    super(`not implemented yet: ${what}`, EXIT.failure);
    this.name = "NotImplementedError";
  }
}

function pathText(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/**
 * A value of the spec that a later stage refuses, at a key path of the run
 * config (["labels", "count"]): the message reads `labels.count: …`, and
 * `validate`, which runs the same check, points at the line it was written on.
 */
export class SpecValueError extends UserError {
  readonly path: readonly (string | number)[];
  /** The message without the path. */
  readonly what: string;
  constructor(path: readonly (string | number)[], what: string) {
    super(`${pathText(path)}: ${what}`);
    this.name = "SpecValueError";
    this.path = path;
    this.what = what;
  }
}
