import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prepareChainSplit, splitImageIds } from "../../src/data/active-chain.js";
import type { ActiveLabels, DatasetSpec } from "../../src/spec/types.js";

const dataset: DatasetSpec = { name: "shapes", train_images: 30, eval_images: 4, image_size: 32, classes: 3 };
const labels: ActiveLabels = {
  protocol: "active",
  initial: { count: 6 },
  per_cycle: { count: 3 },
  cycles: 2,
  acquisition: "random",
};

describe("the split of an active-learning cycle", () => {
  it("labels its parent's images plus the selection (nested), with hashes chained", async () => {
    const cache = mkdtempSync(join(tmpdir(), "ls-chain-"));
    const c0 = await prepareChainSplit(dataset, labels, [], cache);
    const ids0 = await splitImageIds(c0);
    expect(ids0.labeled).toHaveLength(6);
    expect(ids0.unlabeled).toHaveLength(24);
    const pick1 = ids0.unlabeled.slice(0, 3);
    const c1 = await prepareChainSplit(dataset, labels, [pick1], cache);
    const ids1 = await splitImageIds(c1);
    expect(new Set(ids1.labeled)).toEqual(new Set([...ids0.labeled, ...pick1]));
    expect(ids1.unlabeled).toHaveLength(21);
    expect(c1.manifest.details.parent).toBe(c0.hash);
    expect(c1.manifest.details.cycle).toBe(1);
    const pick2 = ids1.unlabeled.slice(-3);
    const c2 = await prepareChainSplit(dataset, labels, [pick1, pick2], cache);
    const ids2 = await splitImageIds(c2);
    expect(new Set(ids2.labeled)).toEqual(new Set([...ids1.labeled, ...pick2]));
    expect(c2.manifest.details.parent).toBe(c1.hash);
    // Content-addressed: the same selections give the same (cached) split, a different one another.
    const again = await prepareChainSplit(dataset, labels, [[...pick1].reverse(), pick2], cache);
    expect(again.key).toBe(c2.key);
    expect(again.cached).toBe(true);
    const other = await prepareChainSplit(dataset, labels, [ids0.unlabeled.slice(3, 6)], cache);
    expect(other.key).not.toBe(c1.key);
    // A selection that repeats a labelled image, or is the wrong size, is refused.
    await expect(
      prepareChainSplit(dataset, labels, [[ids0.labeled[0]!, ...pick1.slice(1)]], cache),
    ).rejects.toThrow(/already labelled/);
    await expect(prepareChainSplit(dataset, labels, [pick1.slice(0, 2)], cache)).rejects.toThrow(
      /expected 3 selected images/,
    );
  });
});
