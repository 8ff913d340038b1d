import * as crypto from "node:crypto";
import { createHash } from "node:crypto";
import { type JsonValue, type RunConfig, SEMANTIC_KEYS } from "../spec/types.js";
import { canonicalJson } from "../util/canonical-json.js";
import { canonicalOf } from "./sections.js";

// A run's identity (DESIGN.md "Run identity", RUNNERS.md §4.6): sha256 of the
// canonical JSON of everything that decides its result —
//   { code: <code identity hash>, config: RunConfig, keyVersion, split }
// — and nothing else: not the spec's name, description, sweep, table,
// references or executor, not output paths, not the commit or scratch files of
// the repository (code-identity.ts says what the code identity holds). Equal
// data gives equal keys whatever the key order or YAML style; any changed
// semantic value changes it.

/**
 * Bumped when the payload's shape or meaning changes, so old results are not
 * mistaken for new ones. 3: the code part is the code identity (what the run
 * executes), no longer the git tree and uncommitted changes of the spec's repository.
 */
export const KEY_VERSION = 3;

/** Hex digits shown in tables; the full 64 are kept in results and --json. */
export const SHORT_KEY_LENGTH = 12;

export interface RunKeyInput {
  config: RunConfig;
  /** Hash of the split artifact's manifest (data stage), null when the run has none yet. */
  split: string | null;
  /** The run's code identity hash (code-identity.ts). */
  code: string;
}

/** canonicalJson of the config's semantic keys only (a whole Spec gives its RunConfig's JSON). */
export function canonicalRunConfig(config: RunConfig): string {
  let out = "";
  // SEMANTIC_KEYS sorted as canonicalJson sorts object keys.
  for (const key of SORTED_KEYS) {
    const value = config[key] as JsonValue | undefined;
    if (value === undefined) continue;
    out += `${out === "" ? "" : ","}${JSON.stringify(key)}:${canonicalOf(value)}`;
  }
  return `{${out}}`;
}

const SORTED_KEYS = [...SEMANTIC_KEYS].sort();

/** The exact text that is hashed. */
export function runKeyPayload(input: RunKeyInput): string {
  // Keys in canonical (sorted) order: code, config, keyVersion, split.
  return (
    `{"code":${JSON.stringify(input.code)},"config":${canonicalRunConfig(input.config)},` +
    `"keyVersion":${KEY_VERSION},"split":${canonicalJson(input.split)}}`
  );
}

/** The full run key: 64 hex digits. */
export function runKey(input: RunKeyInput): string {
  return sha256(runKeyPayload(input));
}

export function shortKey(key: string): string {
  return key.slice(0, SHORT_KEY_LENGTH);
}

/** One block of a config as the expansion holds it: an id (equal ids ⇔ equal blocks) and its canonical JSON. */
export interface KeyedBlock {
  id: number;
  /** canonicalJson of the block; "" for a block the config leaves out. */
  canonical: string;
}

// One-shot crypto.hash (Node ≥ 20.12) makes no Hash object per run: 100k of
// those (native handles) cost more in garbage collection than the hashing.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

function sha256(text: string): string {
  return oneShot ? oneShot("sha256", text, "hex") : createHash("sha256").update(text).digest("hex");
}

/**
 * Keys many configs of one plan with the same result as runKey(), from the
 * canonical JSON of each block that the expansion already holds (one string
 * per distinct block), so a 100k-run plan never re-serialises a config.
 */
export class PlanKeyHasher {
  private readonly order = SEMANTIC_KEYS.map((k, i) => ({ k, i })).sort((a, b) => (a.k < b.k ? -1 : 1));
  private readonly names = this.order.map(({ k }) => `${JSON.stringify(k)}:`);
  private readonly tail = `},"keyVersion":${KEY_VERSION},"split":`;

  /** `blocks` in SEMANTIC_KEYS order; `code` the run's code identity hash. */
  key(blocks: readonly KeyedBlock[], split: string | null, code: string): string {
    let config = "";
    for (let s = 0; s < this.order.length; s++) {
      const canonical = blocks[this.order[s]!.i]!.canonical;
      if (canonical !== "") config += `${config === "" ? "" : ","}${this.names[s]}${canonical}`;
    }
    return sha256(
      `{"code":${JSON.stringify(code)},"config":{${config}${this.tail}${split === null ? "null" : JSON.stringify(split)}}`,
    );
  }
}
