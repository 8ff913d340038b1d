import { describe, expect, it } from "vitest";
import { runDagPool } from "../../src/exec/dag-pool.js";

/** A chain of `n` runs named prefix0…prefix(n−1), each after the one before. */
const chain = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) =>
    i === 0 ? { key: `${prefix}0` } : { key: `${prefix}${i}`, after: [`${prefix}${i - 1}`] },
  );

const slots = (n: number) => Array.from({ length: n }, (_, id) => ({ id, gpus: "", port: 0 }));

describe("the dependent-run queue", () => {
  it("starts a run only after its parent finished well, chains side by side", async () => {
    const tasks = [...chain("a", 3), ...chain("b", 2), { key: "c1", after: ["done-before"] }];
    const log: string[] = [];
    let live = 0;
    let peak = 0;
    await runDagPool(
      tasks,
      slots(2),
      async (t) => {
        log.push(`start ${t.key}`);
        live++;
        peak = Math.max(peak, live);
        await new Promise((r) => setTimeout(r, 5));
        live--;
        log.push(`end ${t.key}`);
        return true;
      },
      () => false,
      () => {
        throw new Error("nothing is blocked");
      },
    );
    for (const [child, parent] of [
      ["a1", "a0"],
      ["a2", "a1"],
      ["b1", "b0"],
    ])
      expect(log.indexOf(`start ${child}`)).toBeGreaterThan(log.indexOf(`end ${parent}`));
    expect(log.filter((l) => l.startsWith("start"))).toHaveLength(6);
    expect(peak).toBe(2);
  });

  it("a failed run blocks its descendants only", async () => {
    const tasks = [...chain("a", 3), ...chain("b", 3)];
    const ran: string[] = [];
    const blocked: [string, string][] = [];
    await runDagPool(
      tasks,
      slots(2),
      async (t) => {
        ran.push(t.key);
        return t.key !== "a1";
      },
      () => false,
      (t, parent) => blocked.push([t.key, parent]),
    );
    expect(ran.sort()).toEqual(["a0", "a1", "b0", "b1", "b2"]);
    expect(blocked).toEqual([["a2", "a1"]]);
  });
});
