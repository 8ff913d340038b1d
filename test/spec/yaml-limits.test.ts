import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { binaryReason, findDepthExcess, MAX_SPEC_DEPTH } from "../../src/spec/yaml-limits.js";
import { REPO_ROOT } from "../helpers/cli.js";

// The depth pre-scan estimates nesting from the text alone, before the YAML
// parser (and our recursive walks) see it. It must never under-estimate (or a
// deep document slips through to the stack limit) and must not over-estimate
// much (or a real spec is refused).

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return name.endsWith(".yaml") ? [p] : [];
  });
}

/** Depth of a value in collections: a scalar is 0, [1] is 1. */
function depthOf(v: unknown): number {
  if (v === null || typeof v !== "object") return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depthOf));
}

/** The smallest limit the scan accepts the text under. */
function estimate(text: string): number {
  let limit = 0;
  while (findDepthExcess(text, limit)) limit++;
  return limit;
}

const scalar = fc.oneof(
  fc.integer(),
  fc.constantFrom("a", "it's", "x - y", "[not flow]", "#no comment", "a: b", "- dash", "'q'", '"dq"', ""),
  fc.boolean(),
);
const tree = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "b", "key", "- k", "k:"), tie("node"), { maxKeys: 3 }),
  ),
})).node;

describe("spec depth pre-scan", () => {
  it("passes every spec in experiments/ and the test fixtures", () => {
    const files = [
      ...yamlFiles(join(REPO_ROOT, "experiments")),
      ...yamlFiles(join(REPO_ROOT, "test", "fixtures")),
    ];
    expect(files.length).toBeGreaterThan(100);
    // The corpus case that is too deep on purpose is flagged; every other file passes.
    const tooDeep = join(REPO_ROOT, "test", "fixtures", "specs", "bad", "yaml-deep-nesting.yaml");
    expect(findDepthExcess(readFileSync(tooDeep, "utf8"))?.depth).toBeGreaterThan(MAX_SPEC_DEPTH);
    for (const f of files.filter((f) => f !== tooDeep))
      expect(findDepthExcess(readFileSync(f, "utf8")), f).toBeUndefined();
  });

  it("never under-estimates, and at most doubles, the depth of block and flow YAML", () => {
    fc.assert(
      fc.property(tree, fc.constantFrom(0, 2, 4, 100), (value, flowLevel) => {
        const doc = { x: value };
        const text = stringify(doc, flowLevel === 0 ? {} : { flowCollectionPadding: false });
        const flowText = stringify(doc, { collectionStyle: "flow" });
        const depth = depthOf(doc);
        for (const t of [text, flowText]) {
          const e = estimate(t);
          expect(e, t).toBeGreaterThanOrEqual(depth);
          expect(e, t).toBeLessThanOrEqual(2 * depth + 1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("refuses deep flow, block and compact nesting at the first level past the limit", () => {
    const flow = `x: ${"[".repeat(5000)}${"]".repeat(5000)}\n`;
    expect(findDepthExcess(flow)).toMatchObject({ offset: 3 + MAX_SPEC_DEPTH - 1 });
    const block = `x:\n${Array.from({ length: 200 }, (_, i) => `${" ".repeat(i + 1)}k:`).join("\n")}\n`;
    expect(findDepthExcess(block)).toBeDefined();
    expect(findDepthExcess(`x:\n${"- ".repeat(200)}1\n`)).toBeDefined();
    expect(findDepthExcess(`x: ${"? ".repeat(200)}\n`)).toBeDefined();
    // Brackets inside quotes, comments and block scalars are text.
    const quiet = `a: "${"[".repeat(200)}"\nb: '${"{".repeat(200)}'\n# ${"[".repeat(200)}\nc: |\n  ${"[".repeat(200)}\n`;
    expect(findDepthExcess(quiet)).toBeUndefined();
  });
});

describe("binary spec files", () => {
  it("names a NUL byte or bytes that are not UTF-8", () => {
    expect(binaryReason(Buffer.from("name: x\n"))).toBeUndefined();
    expect(binaryReason(Buffer.from("héllo: ✓\n"))).toBeUndefined();
    expect(binaryReason(Buffer.from([0x6e, 0x00, 0x61]))).toBe("a NUL byte at offset 1");
    expect(binaryReason(Buffer.from([0x6e, 0xff, 0xfe]))).toBe("bytes that are not UTF-8");
  });
});
