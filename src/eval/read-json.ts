import { readFileSync } from "node:fs";
import { UserError } from "../util/errors.js";

/** Reads a file's bytes; a missing file is a UserError naming it. */
export function readFileBytes(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read the ${what} file (${code ?? String(err)})`);
  }
}

/** Reads and parses a JSON file; a missing file or bad JSON is a UserError naming the file and line. */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${path}: cannot read the ${what} file (${code ?? String(err)})`);
  }
  return parseJsonText(text, path, what);
}

/** JSON.parse with a UserError naming the file, line and column on bad JSON. */
export function parseJsonText(text: string, path: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const m = /position (\d+)/.exec(msg);
    let where = "";
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos);
      const line = before.split("\n").length;
      const column = pos - before.lastIndexOf("\n");
      where = ` at line ${line}, column ${column}`;
    }
    throw new UserError(`${path}: the ${what} file is not valid JSON${where}: ${msg}`);
  }
}
