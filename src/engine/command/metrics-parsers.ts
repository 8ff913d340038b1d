import type { Metrics } from "../../sweep/run-record.js";
import { UserError } from "../../util/errors.js";

// Metrics from the output of external trainers, without touching their code
// (RUNNERS.md §4.7). Every parser returns metrics as fractions in [0, 1] under
// labelsweep's names (AP, AP50, …, APr, mAP), whatever scale the tool printed.

export type { Metrics };

/** The 12 lines of pycocotools' COCOeval.summarize(), in order. */
export const COCO_STAT_NAMES = [
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

const COCO_LINE =
  /Average (Precision|Recall)\s+\((AP|AR)\)\s+@\[\s*IoU=([0-9.:]+)\s*\|\s*area=\s*(\w+)\s*\|\s*maxDets=\s*(\d+)\s*\]\s*=\s*(-?[0-9.]+)/;

function cocoName(
  kind: string,
  iou: string,
  area: string,
  maxDets: string,
  largestMaxDets: number,
): string | undefined {
  const areaSuffix: Record<string, string> = { small: "s", medium: "m", large: "l" };
  if (kind === "AP") {
    if (area === "all")
      return iou === "0.50:0.95" ? "AP" : iou === "0.50" ? "AP50" : iou === "0.75" ? "AP75" : undefined;
    return iou === "0.50:0.95" && areaSuffix[area] ? `AP${areaSuffix[area]}` : undefined;
  }
  if (area === "all") return `AR${maxDets}`;
  return Number(maxDets) === largestMaxDets && areaSuffix[area] ? `AR${areaSuffix[area]}` : undefined;
}

/** The last complete pycocotools summary block in a log (−1 means "no ground truth in range": null). */
export function parsePycocotools(text: string): Metrics {
  const lines = text.split(/\r?\n/);
  const blocks: RegExpExecArray[][] = [];
  let current: RegExpExecArray[] = [];
  for (const line of lines) {
    const m = COCO_LINE.exec(line);
    if (m) current.push(m);
    else if (current.length > 0) {
      blocks.push(current);
      current = [];
    }
  }
  if (current.length > 0) blocks.push(current);
  const block = blocks.filter((b) => b.length >= 12).pop();
  if (!block)
    throw new UserError(
      "no pycocotools summary block (12 'Average Precision/Recall' lines) found in the output",
    );
  const largest = Math.max(...block.map((m) => Number(m[5])));
  const out: Metrics = {};
  for (const m of block) {
    const name = cocoName(m[2]!, m[3]!, m[4]!, m[5]!, largest);
    if (!name) continue;
    const v = Number(m[6]);
    out[name] = v < 0 ? null : v;
  }
  return out;
}

/** detectron2's `copypaste:` lines (percentages): the last Task block of the wanted task. */
export function parseDetectron2(text: string, task = "bbox"): Metrics {
  const lines = text
    .split(/\r?\n/)
    .map((l) => /copypaste:\s*(.*)$/.exec(l)?.[1]?.trim())
    .filter((l): l is string => l !== undefined);
  let found: Metrics | undefined;
  for (let i = 0; i + 2 < lines.length; i++) {
    if (lines[i] !== `Task: ${task}`) continue;
    const names = lines[i + 1]!.split(",").map((s) => s.trim());
    const values = lines[i + 2]!.split(",").map((s) => Number(s.trim()));
    if (names.length !== values.length || values.some((v) => Number.isNaN(v))) continue;
    const metrics: Metrics = {};
    names.forEach((n, j) => {
      const v = values[j]!;
      metrics[n] = v < 0 ? null : v / 100;
    });
    found = metrics;
  }
  if (!found) throw new UserError(`no detectron2 "copypaste: Task: ${task}" block found in the output`);
  return found;
}

const MMENGINE_NAMES: [RegExp, string][] = [
  [/^coco\/bbox_mAP$/, "AP"],
  [/^coco\/bbox_mAP_50$/, "AP50"],
  [/^coco\/bbox_mAP_75$/, "AP75"],
  [/^coco\/bbox_mAP_s$/, "APs"],
  [/^coco\/bbox_mAP_m$/, "APm"],
  [/^coco\/bbox_mAP_l$/, "APl"],
  [/^lvis\/bbox_AP$/, "AP"],
  [/^lvis\/bbox_AP50$/, "AP50"],
  [/^lvis\/bbox_AP75$/, "AP75"],
  [/^lvis\/bbox_APs$/, "APs"],
  [/^lvis\/bbox_APm$/, "APm"],
  [/^lvis\/bbox_APl$/, "APl"],
  [/^lvis\/bbox_APr$/, "APr"],
  [/^lvis\/bbox_APc$/, "APc"],
  [/^lvis\/bbox_APf$/, "APf"],
  [/^pascal_voc\/mAP$/, "mAP"],
];

/** mmengine's vis_data/scalars.json (JSON lines): the last line that carries evaluation metrics. */
export function parseMmengineScalars(text: string): Metrics {
  let found: Metrics | undefined;
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === "") continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new UserError(`mmengine scalars: line ${i + 1} is not JSON`);
    }
    const metrics: Metrics = {};
    for (const [key, value] of Object.entries(obj)) {
      const name = MMENGINE_NAMES.find(([re]) => re.test(key))?.[1];
      if (name && typeof value === "number") metrics[name] = value < 0 ? null : value;
    }
    if (Object.keys(metrics).length > 0) found = metrics;
  }
  if (!found) throw new UserError("mmengine scalars: no line with coco/, lvis/ or pascal_voc/ metrics found");
  return found;
}

/** JSON lines: numeric fields of every object (or of its `metrics` member), later lines win. */
export function parseJsonLines(text: string): Metrics {
  const out: Metrics = {};
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    if (line.trim() === "") continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      throw new UserError(`JSON lines: line ${i + 1} is not JSON`);
    }
    if (obj === null || typeof obj !== "object" || Array.isArray(obj)) continue;
    const record = obj as Record<string, unknown>;
    const source =
      record.metrics && typeof record.metrics === "object"
        ? (record.metrics as Record<string, unknown>)
        : record;
    for (const [k, v] of Object.entries(source)) if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
  }
  if (Object.keys(out).length === 0) throw new UserError("JSON lines: no numeric metrics found");
  return out;
}
