import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// The compat fixtures: inputs (make-inputs.mjs, the VOC devkit) and what the
// reference code computed on them (expected/, made by reference.py).

export const COMPAT = fileURLToPath(new URL("../fixtures/compat", import.meta.url));
export const DEVKIT = fileURLToPath(new URL("../fixtures/voc-devkit/VOCdevkit", import.meta.url));

export function fixture(name: string): unknown {
  return JSON.parse(readFileSync(join(COMPAT, name), "utf8"));
}

// biome-ignore lint/suspicious/noExplicitAny: expected files differ in shape; each test reads its own fields
export function expected(name: string): any {
  return JSON.parse(readFileSync(join(COMPAT, "expected", name), "utf8"));
}
