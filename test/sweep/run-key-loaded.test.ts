import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify, type ToStringOptions } from "yaml";
import { loadSpec } from "../../src/spec/load.js";
import type { JsonValue } from "../../src/spec/types.js";
import { planSpec } from "../../src/sweep/plan.js";
import { fixedIdentity } from "./spec-fixture.js";

// Run keys of specs read from YAML files by the real loader: equal configs
// written differently key alike; cosmetic fields never enter the key.

const CODE = { code: { commit: "e".repeat(40), dirty: false }, codeIdentity: fixedIdentity("e") };
const dir = mkdtempSync(join(tmpdir(), "sweep-keys-"));
let n = 0;

function keysOf(doc: JsonValue, style: ToStringOptions = {}, comment = ""): string[] {
  const file = join(dir, `spec-${n++}.yaml`);
  writeFileSync(file, `${comment}${stringify(doc, style)}`);
  const { spec, locate } = loadSpec(file);
  return planSpec(spec, { ...CODE, locate }).runs.map((r) => r.key);
}

type Doc = { [k: string]: JsonValue };
const specArb = fc.record({
  dataset: fc.record({
    name: fc.constant("shapes"),
    train_images: fc.integer({ min: 10, max: 5000 }),
    image_size: fc.constantFrom(32, 64, 128),
    classes: fc.integer({ min: 1, max: 20 }),
  }),
  labels: fc.record({
    protocol: fc.constant("budget"),
    fraction: fc.double({ min: 0.001, max: 1, noNaN: true }),
    fold: fc.integer({ min: 1, max: 5 }),
  }),
  detector: fc.record({ arch: fc.constant("ssd-lite"), width: fc.integer({ min: 4, max: 64 }) }),
  method: fc.oneof(
    fc.constant({ name: "supervised" }),
    fc.record({ name: fc.constant("csd"), weight: fc.double({ min: 0, max: 5, noNaN: true }) }),
  ),
  train: fc.record({
    iterations: fc.integer({ min: 1, max: 100000 }),
    lr: fc.double({ min: 1e-5, max: 1, noNaN: true }),
  }),
  seed: fc.nat(1000),
}) as fc.Arbitrary<Doc>;

/** The same data, each mapping's keys rotated by `salt`. */
function reorder(value: JsonValue, salt: number): JsonValue {
  if (Array.isArray(value)) return value.map((v) => reorder(v, salt));
  if (value === null || typeof value !== "object") return value;
  const keys = Object.keys(value);
  const out: Doc = {};
  for (let i = 0; i < keys.length; i++) {
    const k = keys[(i + salt) % keys.length]!;
    out[k] = reorder(value[k]!, salt + 1);
  }
  return out;
}

const styleArb = fc.record({
  collectionStyle: fc.constantFrom("any", "block", "flow") as fc.Arbitrary<"any" | "block" | "flow">,
  defaultStringType: fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE") as fc.Arbitrary<
    "PLAIN" | "QUOTE_DOUBLE" | "QUOTE_SINGLE"
  >,
  indent: fc.integer({ min: 2, max: 5 }),
});

describe("run keys of loaded specs", () => {
  it("do not change with key order, YAML style, comments, or defaults written out", () => {
    fc.assert(
      fc.property(specArb, fc.nat(9), styleArb, fc.boolean(), (body, salt, style, explicit) => {
        const doc: Doc = { name: "a", ...body };
        const other: Doc = reorder({ name: "a", ...body }, salt) as Doc;
        if (explicit) {
          // Values equal to the schema's defaults, written out.
          other.labels = { ...(other.labels as Doc), nested: true, compat: "labelsweep" };
          other.train = { ...(other.train as Doc), optimizer: "sgd", momentum: 0.9 };
          other.eval = { type: "coco" };
        }
        expect(keysOf(other, style, "# a comment\n")).toEqual(keysOf(doc));
      }),
      { numRuns: 25 },
    );
  });

  it("do not change with name, description, table, references, executor or the sweep that made the cell", () => {
    fc.assert(
      fc.property(specArb, fc.string({ minLength: 1, maxLength: 12 }), (body, text) => {
        const plain = keysOf({ name: "a", ...body });
        const dressed = keysOf({
          name: `n${text.replace(/\W/g, "")}`,
          description: text,
          ...body,
          sweep: { grid: { seed: [body.seed as number] } },
          table: { rows: ["method.name"], columns: ["labels.fraction"], metric: "AP" },
          references: [
            {
              cell: { seed: body.seed as number },
              metric: "AP",
              value: 1,
              source: text || "x",
              verified: false,
            },
          ],
          executor: { type: "local", jobs: 2 },
        });
        expect(dressed).toEqual(plain);
      }),
      { numRuns: 20 },
    );
  });

  it("change when any semantic value changes", () => {
    fc.assert(
      fc.property(
        specArb,
        fc.constantFrom("dataset", "labels", "detector", "method", "train"),
        (body, section) => {
          const block = body[section] as Doc;
          const numeric = Object.keys(block).filter((k) => typeof block[k] === "number");
          fc.pre(numeric.length > 0);
          const k = numeric[0]!;
          const v = block[k] as number;
          // A different value that is still valid: integers up by one, fractions and reals halved.
          const next = v === 0 ? 1 : Number.isInteger(v) && k !== "fraction" ? v + 1 : v / 2;
          const changed: Doc = { ...body, [section]: { ...block, [k]: next } };
          expect(keysOf({ name: "a", ...changed })).not.toEqual(keysOf({ name: "a", ...body }));
          expect(keysOf({ name: "a", ...body, seed: (body.seed as number) + 1 })).not.toEqual(
            keysOf({ name: "a", ...body }),
          );
        },
      ),
      { numRuns: 20 },
    );
  });
});
