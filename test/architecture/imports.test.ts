import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The project's import rule over src/ (helper brief, DESIGN.md "Layout"):
//   cli → exec → {engine, results} → {sweep, data, eval} → util
// Arrows only run down the flow (a room may skip levels, never go up or sideways);
// any room may import spec, and spec imports only util; other rooms reach the
// engine through src/engine/index.ts, the light src/engine/methods/registry.ts or the light
// src/engine/command/index.ts (external trainers, no TensorFlow.js);
// and no file imports itself back through a cycle. Type-only imports count: a
// type that two rooms share belongs to the lower one.

const SRC = fileURLToPath(new URL("../../src", import.meta.url));

const LEVEL: Record<string, number> = {
  cli: 0,
  exec: 1,
  engine: 2,
  results: 2,
  sweep: 3,
  data: 3,
  eval: 3,
  spec: 4,
  util: 5,
};
const ENGINE_DOORS = new Set(["engine/index.ts", "engine/methods/registry.ts", "engine/command/index.ts"]);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** Relative specifiers of a file's static imports, re-exports and dynamic imports. */
function importsOf(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\bfrom\s+["'](\.{1,2}\/[^"']+)["']/g,
    /\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
    /^\s*import\s+["'](\.{1,2}\/[^"']+)["']/gm,
  ];
  for (const p of patterns) for (const m of text.matchAll(p)) found.push(m[1]!);
  return found;
}

interface Edge {
  from: string;
  to: string;
}

function graph(): { files: string[]; edges: Edge[] } {
  const files = sources(SRC).map((f) => relative(SRC, f));
  const edges: Edge[] = [];
  for (const file of files) {
    for (const spec of importsOf(readFileSync(join(SRC, file), "utf8"))) {
      const target = relative(SRC, resolve(dirname(join(SRC, file)), spec)).replace(/\.js$/, ".ts");
      edges.push({ from: file, to: target });
    }
  }
  return { files, edges };
}

const roomOf = (file: string) => file.split("/")[0]!;

/** Why an import breaks the rule, or null when it keeps it. */
function violation(from: string, to: string): string | null {
  const a = roomOf(from);
  const b = roomOf(to);
  if (!(a in LEVEL)) return `${from} lives outside the known rooms`;
  if (!(b in LEVEL)) return `${to} lives outside the known rooms`;
  if (a === b) return null;
  if (a === "spec" && b !== "util") return "spec imports only util";
  if (b === "engine" && !ENGINE_DOORS.has(to)) return "other rooms import the engine through engine/index.ts";
  if (b === "spec" || b === "util") return null;
  if (LEVEL[b]! <= LEVEL[a]!)
    return `${a} may not import ${b} (arrows run cli → exec → {engine, results} → {sweep, data, eval} → util)`;
  return null;
}

/** Every import cycle, as the files of one strongly connected component (Tarjan). */
function cycles(files: readonly string[], edges: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (next.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) out.push(component.sort());
    }
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return out;
}

describe("import rule over src/", () => {
  const { files, edges } = graph();

  it("finds the source files and their imports", () => {
    expect(files.length).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(300);
    for (const e of edges) expect(files, `${e.from} imports a missing ${e.to}`).toContain(e.to);
  });

  it("every arrow runs down the flow, and the engine is entered through its index", () => {
    const bad = edges.flatMap((e) => {
      const why = violation(e.from, e.to);
      return why ? [`${e.from} → ${e.to}: ${why}`] : [];
    });
    expect(bad).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(cycles(files, edges)).toEqual([]);
  });

  it("the checker itself catches the arrows it forbids", () => {
    expect(violation("engine/train-one.ts", "exec/run-sweep.ts")).toMatch(/engine may not import exec/);
    expect(violation("results/report.ts", "exec/data-splits.ts")).toMatch(/results may not import exec/);
    expect(violation("sweep/plan.ts", "results/run-status.ts")).toMatch(/sweep may not import results/);
    expect(violation("engine/x.ts", "results/y.ts")).toMatch(/engine may not import results/);
    expect(violation("exec/worker.ts", "engine/run-tfjs.ts")).toMatch(/engine\/index\.ts/);
    expect(violation("spec/load.ts", "sweep/plan.ts")).toMatch(/spec imports only util/);
    expect(violation("exec/worker.ts", "engine/index.ts")).toBeNull();
    expect(violation("exec/run-sweep.ts", "engine/methods/registry.ts")).toBeNull();
    expect(violation("cli/run.ts", "sweep/plan.ts")).toBeNull();
    expect(violation("data/x.ts", "spec/types.ts")).toBeNull();
    expect(
      cycles(
        ["eval/a.ts", "eval/b.ts", "eval/c.ts"],
        [
          { from: "eval/a.ts", to: "eval/b.ts" },
          { from: "eval/b.ts", to: "eval/a.ts" },
          { from: "eval/b.ts", to: "eval/c.ts" },
        ],
      ),
    ).toEqual([["eval/a.ts", "eval/b.ts"]]);
    expect(
      importsOf(
        `import type { A } from "./a.js";\nexport { b } from "../b.js";\nconst m = import("./m.js");`,
      ),
    ).toEqual(["./a.js", "../b.js", "./m.js"]);
  });
});
