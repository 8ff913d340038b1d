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
