import type { Diagnostic } from "./diagnostics.js";
import type { JsonValue } from "./types.js";

// Names people bring from other tools (issue 17 §6; RUNNERS.md): when a spec
// problem sits on one of them, the hint says what labelsweep calls it, with
// the conversion where there is one. One table; test/spec/aliases.test.ts
// walks every entry through `labelsweep validate`.

export interface Alias {
  /** Where people write it: a key path, `*` matching any one key. */
  path: readonly string[];
  /** Which kind of problem it explains: an unknown key, or a value of the wrong form. */
  problem: "unknown key" | "value";
  /** Where the name comes from, shown after the hint: "iters is mmdetection's name". */
  from: string;
  /** The hint, given the value written there. */
  hint: (value: JsonValue | undefined, key: string) => string | undefined;
  /** An example that triggers it, for the test and the README: the YAML of a spec section. */
  example: string;
}

const num = (v: JsonValue | undefined) => (typeof v === "number" ? v : undefined);
const pct = (v: JsonValue | undefined): number | undefined => {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^\s*\d+(\.\d+)?\s*%\s*$/.test(v)) return Number(v.replace("%", ""));
  return undefined;
};
/** 10 → 0.1 without floating-point noise (5 → 0.05, not 0.05000000000000001). */
const fractionOf = (percent: number) => Number((percent / 100).toPrecision(12));

export const ALIASES: readonly Alias[] = [
  {
    path: ["train", "iters"],
    problem: "unknown key",
    from: "iters is mmdetection's name",
    hint: (v) => `write iterations: ${num(v) ?? "N"}`,
    example: "train: { iters: 300 }",
  },
  {
    path: ["train", "max_iters"],
    problem: "unknown key",
    from: "max_iters is mmengine's name (IterBasedTrainLoop)",
    hint: (v) => `write iterations: ${num(v) ?? "N"}`,
    example: "train: { max_iters: 300 }",
  },
  {
    path: ["train", "max_iter"],
    problem: "unknown key",
    from: "max_iter is detectron2's name (SOLVER.MAX_ITER)",
    hint: (v) => `write iterations: ${num(v) ?? "N"}`,
    example: "train: { max_iter: 300 }",
  },
  {
    path: ["train", "max_epochs"],
    problem: "unknown key",
    from: "max_epochs is mmengine's name (EpochBasedTrainLoop)",
    hint: (v) => `write epochs: ${num(v) ?? "N"}`,
    example: "train: { max_epochs: 12 }",
  },
  {
    path: ["train", "batch_size"],
    problem: "unknown key",
    from: "batch_size is PyTorch's and mmdetection's name",
    hint: (v) => `write batch: ${num(v) ?? "N"}`,
    example: "train: { batch_size: 8 }",
  },
  {
    path: ["train", "base_lr"],
    problem: "unknown key",
    from: "base_lr is detectron2's name (SOLVER.BASE_LR)",
    hint: (v) => `write lr: ${num(v) ?? "X"}`,
    example: "train: { base_lr: 0.02 }",
  },
  {
    path: ["train", "seed"],
    problem: "unknown key",
    from: "mmengine keeps it in randomness.seed",
    hint: () => "the training seed is the top-level `seed:` (sweep.seeds for several)",
    example: "train: { seed: 1 }",
  },
  {
    path: ["labels", "percent"],
    problem: "unknown key",
    from: "labelsweep takes a fraction of the images, not a percentage",
    hint: (v) => {
      const p = pct(v);
      return p === undefined
        ? "write fraction: F with F in (0, 1]"
        : `write fraction: ${fractionOf(p)} for ${p} %`;
    },
    example: "labels: { protocol: budget, percent: 10 }",
  },
  {
    path: ["labels", "labeled_percent"],
    problem: "unknown key",
    from: "labeled_percent is mmdetection's split_coco.py option; labelsweep takes a fraction",
    hint: (v) => {
      const p = pct(v);
      return p === undefined
        ? "write fraction: F with F in (0, 1]"
        : `write fraction: ${fractionOf(p)} for ${p} %`;
    },
    example: "labels: { protocol: budget, labeled_percent: 10 }",
  },
  {
    path: ["labels", "fraction"],
    problem: "value",
    from: "a fraction is a number in (0, 1], not a percentage",
    hint: (v) => {
      const p = typeof v === "string" ? pct(v) : undefined;
      if (p !== undefined) return `write ${fractionOf(p)}`;
      if (typeof v === "number" && v > 1 && v <= 100) return `write ${fractionOf(v)} for ${v} %`;
      return undefined;
    },
    example: 'labels: { protocol: budget, fraction: "5%" }',
  },
  {
    path: ["eval"],
    problem: "value",
    from: "the metric family is eval.type",
    hint: (v) => (typeof v === "string" ? `write eval: {type: ${v}}` : undefined),
    example: "eval: coco",
  },
  {
    path: ["method"],
    problem: "value",
    from: "a method is a block with its parameters",
    hint: (v) => (typeof v === "string" ? `write method: {name: ${v}}` : undefined),
    example: "method: supervised",
  },
  {
    path: ["detector"],
    problem: "value",
    from: "a detector is a block with its parameters",
    hint: (v) => (typeof v === "string" ? `write detector: {arch: ${v}}` : undefined),
    example: "detector: ssd-lite",
  },
  {
    path: ["sweep", "*"],
    problem: "unknown key",
    from: "axes go under sweep.grid (every combination) or sweep.zip (paired)",
    hint: (_, key) => (key.includes(".") ? `write sweep: {grid: {${key}: […]}}` : undefined),
    example: "sweep: { labels.fraction: [0.05, 0.1] }",
  },
  {
    path: ["sweep", "parameters"],
    problem: "unknown key",
    from: "parameters is W&B's name; labelsweep's axes go under sweep.grid",
    hint: () => "write sweep: {grid: {train.lr: [0.01, 0.02]}}",
    example: "sweep: { parameters: { train.lr: [0.01] } }",
  },
];

function matches(pattern: readonly string[], path: readonly (string | number)[]): boolean {
  return pattern.length === path.length && pattern.every((p, i) => p === "*" || p === String(path[i]));
}

function valueAt(root: JsonValue, path: readonly (string | number)[]): JsonValue | undefined {
  let node: JsonValue | undefined = root;
  for (const part of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = Array.isArray(node) ? node[Number(part)] : (node as Record<string, JsonValue>)[String(part)];
  }
  return node;
}

/** Adds (or replaces) the hint of every problem that an alias explains. */
export function explainAliases(diagnostics: readonly Diagnostic[], spec: JsonValue): Diagnostic[] {
  return diagnostics.map((d) => {
    const unknownKey = d.message.startsWith("unknown key");
    for (const alias of ALIASES) {
      if ((alias.problem === "unknown key") !== unknownKey || !matches(alias.path, d.path)) continue;
      const hint = alias.hint(valueAt(spec, d.path), String(d.path.at(-1) ?? ""));
      if (hint) return { ...d, hint: `${hint}; ${alias.from}` };
    }
    return d;
  });
}
