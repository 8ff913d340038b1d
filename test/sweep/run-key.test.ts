import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { JsonValue, RunConfig, Spec } from "../../src/spec/types.js";
import { SEMANTIC_KEYS } from "../../src/spec/types.js";
import { expandSweep } from "../../src/sweep/expand.js";
import { KEY_VERSION, runKey, runKeyPayload, shortKey } from "../../src/sweep/run-key.js";
import { canonicalJson } from "../../src/util/canonical-json.js";
import { specWith } from "./spec-fixture.js";

const CODE = "a".repeat(64);
const key = (config: RunConfig, split: string | null = null, code = CODE) => runKey({ config, split, code });

// Keys that are plain data (never "__proto__"), including ones YAML must quote.
const keyArb = fc.oneof(
  fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/),
  fc.string({ maxLength: 6 }).filter((k) => k !== "__proto__"),
);
const leafArb = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
);
const valueArb: fc.Arbitrary<JsonValue> = fc.letrec<{ v: JsonValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(keyArb, tie("v"), { maxKeys: 4 }),
  ),
})).v;
const blockArb = fc.dictionary(keyArb, valueArb, { minKeys: 1, maxKeys: 5 });
const configArb: fc.Arbitrary<RunConfig> = fc
  .record({
    dataset: blockArb,
    labels: blockArb,
    detector: blockArb,
    method: blockArb,
    train: blockArb,
    engine: blockArb,
    eval: blockArb,
    seed: fc.nat(),
  })
  .map((c) => c as unknown as RunConfig);

/** The same data with every object's keys in a different order. */
function reorder(value: JsonValue, salt: number): JsonValue {
  if (Array.isArray(value)) return value.map((v) => reorder(v, salt + 1));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  const rotated = keys.map((_, i) => keys[(i + salt) % keys.length]!).reverse();
  const out: Record<string, JsonValue> = {};
  for (const k of rotated)
    Object.defineProperty(out, k, { value: reorder(value[k]!, salt + 3), enumerable: true });
  return out;
}

type Leaf = { path: (string | number)[]; value: JsonValue };
function leaves(value: JsonValue, path: (string | number)[] = []): Leaf[] {
  if (Array.isArray(value)) {
    return value.length === 0 ? [{ path, value }] : value.flatMap((v, i) => leaves(v, [...path, i]));
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    return keys.length === 0 ? [{ path, value }] : keys.flatMap((k) => leaves(value[k]!, [...path, k]));
  }
  return [{ path, value }];
}

function changed(v: JsonValue): JsonValue {
  if (typeof v === "number") return v === 0 ? 1 : v / 2; // halving: finite, and different for v ≠ 0
  if (typeof v === "string") return `${v}x`;
  if (typeof v === "boolean") return !v;
  if (v === null) return 0;
  if (Array.isArray(v)) return [0];
  return { added: 0 };
}

function setLeaf(root: JsonValue, path: (string | number)[], v: JsonValue): JsonValue {
  if (path.length === 0) return v;
  const [head, ...rest] = path;
  if (Array.isArray(root)) return root.map((x, i) => (i === head ? setLeaf(x, rest, v) : x));
  const obj = root as Record<string, JsonValue>;
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(obj)) {
    Object.defineProperty(out, k, {
      value: k === head ? setLeaf(obj[k]!, rest, v) : obj[k],
      enumerable: true,
    });
  }
  return out;
}

describe("run key", () => {
  it("is sha256 of the canonical JSON of {code identity, config, keyVersion, split}", () => {
    const config: RunConfig = specWith();
    const payload = runKeyPayload({ config, split: "f".repeat(64), code: CODE });
    const semantic = Object.fromEntries(SEMANTIC_KEYS.map((k) => [k, config[k]]));
    expect(payload).toBe(
      canonicalJson({
        config: semantic,
        split: "f".repeat(64),
        code: CODE,
        keyVersion: KEY_VERSION,
      }),
    );
    const k = key(config);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(shortKey(k)).toBe(k.slice(0, 12));
  });

  it("is stable under key reordering", () => {
    fc.assert(
      fc.property(configArb, fc.nat(7), (config, salt) => {
        expect(key(reorder(config as unknown as JsonValue, salt) as unknown as RunConfig)).toBe(key(config));
      }),
    );
  });

  it("is stable under YAML formatting of the same config", () => {
    const styles = fc.record({
      collectionStyle: fc.constantFrom("any", "block", "flow") as fc.Arbitrary<"any" | "block" | "flow">,
      defaultStringType: fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE") as fc.Arbitrary<
        "PLAIN" | "QUOTE_DOUBLE" | "QUOTE_SINGLE"
      >,
      indent: fc.integer({ min: 2, max: 6 }),
      sortMapEntries: fc.boolean(),
    });
    fc.assert(
      fc.property(configArb, styles, fc.nat(5), (config, style, salt) => {
        const text = stringify(reorder(config as unknown as JsonValue, salt), style);
        expect(key(parse(text) as RunConfig)).toBe(key(config));
      }),
      { numRuns: 60 },
    );
  });

  it("changes when any leaf of any semantic section changes", () => {
    fc.assert(
      fc.property(configArb, fc.nat(), (config, pick) => {
        const all = leaves(config as unknown as JsonValue);
        const leaf = all[pick % all.length]!;
        const other = setLeaf(
          config as unknown as JsonValue,
          leaf.path,
          changed(leaf.value),
        ) as unknown as RunConfig;
        expect(key(other)).not.toBe(key(config));
      }),
    );
  });

  it("changes with the split manifest and the code, never with cosmetic fields", () => {
    const spec = specWith();
    const base = key(spec);
    expect(key(spec, "0".repeat(64))).not.toBe(base);
    expect(key(spec, null, "b".repeat(64))).not.toBe(base);
    const cosmetic: Spec = {
      ...spec,
      name: "other",
      description: "changed",
      table: { rows: ["method.name"], columns: ["labels.fraction"], metric: "AP" },
      references: [
        { cell: { "method.name": "csd" }, metric: "AP", value: 1, source: "paper", verified: false },
      ],
      sweep: { seeds: 3 },
      executor: { type: "slurm", jobs: 4 },
    };
    expect(key(cosmetic)).toBe(base);
  });

  it("of a swept cell equals the key of a spec that sets the same values directly", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.double({ min: 1e-6, max: 1, noNaN: true }), { minLength: 1, maxLength: 4 }),
        fc.uniqueArray(fc.nat(1000), { minLength: 1, maxLength: 3 }),
        (lrs, seeds) => {
          const swept = expandSweep(specWith({ grid: { "train.lr": lrs }, seeds }, { name: "swept" }));
          const direct = lrs.flatMap((lr) =>
            seeds.map((seed) => key(specWith(undefined, { train: { ...specWith().train, lr }, seed }))),
          );
          expect(swept.cells.map((c) => key(c.config))).toEqual(direct);
        },
      ),
      { numRuns: 30 },
    );
  });
});
