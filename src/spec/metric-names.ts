import type { EvalSpec, JsonValue } from "./types.js";

// The metric names a run reports, known before it runs, so `validate` can
// refuse a table or a reference that asks for a metric no run will have
// (`mAP` of a COCO evaluation, `APr` outside LVIS). These are the names
// labelsweep's evaluators report (test/eval/metric-names.test.ts holds every
// evaluator to them) and those the command engine's fixed-format parsers give.

const AREAS = ["s", "m", "l"] as const;
const COCO_MAX_DETS = [1, 10, 100];
const LVIS_MAX_DETS = 300;

/** What labelsweep's own evaluator reports for an eval block (eval/*-evaluator.ts). */
export function evaluatorMetrics(spec: Pick<EvalSpec, "type" | "max_dets">): string[] {
  switch (spec.type) {
    case "coco": {
      const maxDets = spec.max_dets ?? COCO_MAX_DETS;
      return [
        "AP",
        "AP50",
        "AP75",
        ...AREAS.map((a) => `AP${a}`),
        ...maxDets.map((m) => `AR${m}`),
        ...AREAS.map((a) => `AR${a}`),
      ];
    }
    case "lvis": {
      const m = spec.max_dets?.[0] ?? LVIS_MAX_DETS;
      return [
        "AP",
        "AP50",
        "AP75",
        ...AREAS.map((a) => `AP${a}`),
        "APr",
        "APc",
        "APf",
        `AR@${m}`,
        ...AREAS.map((a) => `AR${a}@${m}`),
      ];
    }
    case "voc07":
    case "voc":
      return ["mAP"];
    case "multilabel":
      return ["mAP", "CP", "CR", "CF1", "OP", "OR", "OF1"];
    default:
      return [];
  }
}

/** pycocotools' summary block, as the command engine's parser names its 12 lines. */
export const PYCOCOTOOLS_METRICS = [
  "AP",
  "AP50",
  "AP75",
  "APs",
  "APm",
  "APl",
  "AR1",
  "AR10",
  "AR100",
  "ARs",
  "ARm",
  "ARl",
] as const;

type Obj = { [k: string]: JsonValue };
const obj = (v: JsonValue | undefined): Obj =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};

/**
 * The metrics a run config will report, with where the names come from; null
 * when they are the trainer's own (detectron2 copypaste, mmengine, JSON lines)
 * and cannot be known before it runs.
 */
export function runMetrics(config: Obj): { names: string[]; source: string } | null {
  const engine = obj(config.engine);
  const evalSpec = obj(config.eval) as unknown as EvalSpec;
  if (!("command" in engine)) {
    return { names: evaluatorMetrics(evalSpec), source: `labelsweep's ${evalSpec.type} evaluator` };
  }
  const from = obj(engine.metrics).from;
  if (from === "predictions") {
    return { names: evaluatorMetrics(evalSpec), source: `labelsweep's ${evalSpec.type} evaluator` };
  }
  if (from === "pycocotools") return { names: [...PYCOCOTOOLS_METRICS], source: "the pycocotools parser" };
  return null;
}

const HEADLINE: Readonly<Record<string, string>> = {
  coco: "AP",
  lvis: "AP",
  voc07: "mAP",
  voc: "mAP",
  multilabel: "mAP",
};

/** The metric a table shows when the spec names none: the family's headline number. */
export function headlineMetric(evalType: string): string {
  return HEADLINE[evalType] ?? "AP";
}
