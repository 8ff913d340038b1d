import type { Diagnostic, KeyPath } from "./diagnostics.js";
import type { EvalSpec, EvalType, JsonValue } from "./types.js";

// Values the schema accepts one by one but that contradict each other: lists
// that must rise (schedule steps, IoU thresholds, maxDets), pairs that must
// be ordered (CSD's ramp breakpoints, LVIS frequency bounds, scale jitter), a
// warm-up longer than the run, and evaluation keys that mean nothing to the
// chosen metric family (the evaluator would refuse them after training).

type Obj = { [k: string]: JsonValue };
const obj = (v: JsonValue | undefined): Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
const num = (v: JsonValue | undefined): number | undefined => (typeof v === "number" ? v : undefined);
const numbers = (v: JsonValue | undefined): number[] | undefined =>
  Array.isArray(v) && v.every((x) => typeof x === "number") ? (v as number[]) : undefined;

/** The eval keys each metric family reads besides `type`; any other key is refused (eval/*-evaluator.ts). */
export const EVAL_KEYS: Readonly<Record<EvalType, readonly (keyof EvalSpec)[]>> = {
  coco: ["iou_thresholds", "max_dets", "compat"],
  lvis: ["iou_thresholds", "max_dets", "rare_max", "common_max", "compat"],
  voc07: ["iou_thresholds", "compat"],
  voc: ["iou_thresholds", "compat"],
  multilabel: ["threshold", "compat", "crowd"],
};

/** Eval keys written that the family does not use. */
export function foreignEvalKeys(spec: EvalSpec): (keyof EvalSpec)[] {
  const known = EVAL_KEYS[spec.type] ?? [];
  return (Object.keys(spec) as (keyof EvalSpec)[]).filter(
    (k) => k !== "type" && spec[k] !== undefined && !known.includes(k),
  );
}

/** The first place a list stops rising (strictly), as [index, previous, value]. */
function firstDrop(values: readonly number[]): [number, number, number] | undefined {
  for (let i = 1; i < values.length; i++)
    if (!(values[i]! > values[i - 1]!)) return [i, values[i - 1]!, values[i]!];
  return undefined;
}

export interface RangeCheckContext {
  /** Whether the person wrote the value at `path` (not a schema default); absent: nothing counts as written. */
  written?: (path: KeyPath) => boolean;
}

export function rangeProblems(config: Obj, ctx: RangeCheckContext = {}): Diagnostic[] {
  const out: Diagnostic[] = [];
  const add = (path: KeyPath, message: string) => out.push({ path, message, at: "value" });
  const rising = (path: KeyPath, values: number[] | undefined, what: string) => {
    const drop = values && firstDrop(values);
    if (drop) {
      const [i, before, value] = drop;
      add([...path, i], `${what} must rise strictly: ${value} comes after ${before}`);
    }
  };

  const train = obj(config.train);
  const schedule = obj(train.schedule);
  rising(["train", "schedule", "steps"], numbers(schedule.steps), "schedule steps (fractions of training)");
  // A warm-up the person wrote must end before the run does (the engine would cut it to half the run).
  const warmup = num(schedule.warmup);
  const iterations = num(train.iterations);
  const warmupPath = ["train", "schedule", "warmup"];
  if (
    warmup !== undefined &&
    iterations !== undefined &&
    train.epochs === undefined &&
    warmup >= iterations &&
    ctx.written?.(warmupPath) === true
  ) {
    add(
      warmupPath,
      `a warm-up of ${warmup} iterations is not shorter than the run (train.iterations ${iterations})`,
    );
  }
  const jitter = numbers(obj(train.augment).scale_jitter);
  if (jitter?.length === 2 && jitter[0]! > jitter[1]!) {
    add(
      ["train", "augment", "scale_jitter"],
      `expected [min, max] with min ≤ max, got [${jitter.join(", ")}]`,
    );
  }

  const method = obj(config.method);
  if (method.name === "csd") {
    const up = num(method.ramp_up);
    const down = num(method.ramp_down);
    if (up !== undefined && down !== undefined && up > down) {
      add(
        ["method", "ramp_down"],
        `the ramp-down starts at ${down} of training, before the ramp-up ends at ${up} (method.ramp_up); ` +
          "expected ramp_up ≤ ramp_down (METHODS.md §1a: ramp-up to 32k, ramp-down from 100k of 120k)",
      );
    }
  }

  const evalSpec = obj(config.eval) as unknown as EvalSpec;
  if (typeof evalSpec.type === "string" && evalSpec.type in EVAL_KEYS) {
    for (const k of foreignEvalKeys(evalSpec)) {
      add(
        ["eval", k],
        `does not apply to eval type "${evalSpec.type}" (it reads ${EVAL_KEYS[evalSpec.type].join(", ")})`,
      );
    }
    const ious = numbers(evalSpec.iou_thresholds);
    rising(["eval", "iou_thresholds"], ious, "IoU thresholds");
    if ((evalSpec.type === "voc" || evalSpec.type === "voc07") && ious && ious.length !== 1) {
      add(["eval", "iou_thresholds"], `VOC AP is computed at one IoU threshold, got ${ious.length}`);
    }
    const maxDets = numbers(evalSpec.max_dets);
    rising(["eval", "max_dets"], maxDets, "max_dets");
    if (evalSpec.type === "lvis" && maxDets && maxDets.length !== 1) {
      add(["eval", "max_dets"], `LVIS takes one per-image cap (e.g. [300]), got ${maxDets.length} values`);
    }
    const rare = num(evalSpec.rare_max);
    const common = num(evalSpec.common_max);
    if (rare !== undefined && common !== undefined && rare >= common) {
      add(
        ["eval", "common_max"],
        `common classes (≤ ${common} training images) must allow more than rare ones (eval.rare_max ${rare})`,
      );
    }
  }
  return out;
}
