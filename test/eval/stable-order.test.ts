import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { descendingScoreOrder, groupBy, sortRunDescending } from "../../src/eval/stable-order.js";

// The rank order every evaluator relies on: highest score first, ties in input order.
function reference(scores: Float64Array): number[] {
  return Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

const score = fc.oneof(
  fc.constantFrom(0, 0.5, 1, -1, 1e-300, -1e-300, 1e300, -1e300, 0.1, 0.30000000000000004),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0),
  fc.integer({ min: -3, max: 3 }).map((x) => x / 2),
);

describe("stable score order", () => {
  it("matches a stable comparator sort (insertion and radix paths, all float ranges)", () => {
    fc.assert(
      fc.property(fc.array(score, { maxLength: 400 }), (xs) => {
        const s = Float64Array.from(xs);
        expect(Array.from(descendingScoreOrder(s))).toEqual(reference(s));
        const rows = Uint32Array.from(s.keys());
        sortRunDescending(rows, 0, rows.length, s);
        expect(Array.from(rows)).toEqual(reference(s));
      }),
      { numRuns: 300 },
    );
  });

  it("sorts large arrays with many ties", () => {
    const n = 70_000;
    const s = Float64Array.from({ length: n }, (_, i) => ((i * 7919) % 101) / 100 - 0.3);
    expect(Array.from(descendingScoreOrder(s))).toEqual(reference(s));
  });

  it("groups stably and drops negative keys", () => {
    const key = Int32Array.from([2, 0, -1, 2, 1, 0]);
    const g = groupBy(Uint32Array.from([0, 1, 2, 3, 4, 5]), key, 3);
    expect(Array.from(g.order)).toEqual([1, 5, 4, 0, 3]);
    expect(Array.from(g.offsets)).toEqual([0, 2, 3, 5]);
  });
});
