import type { Diagnostic, KeyPath, Locator } from "./diagnostics.js";
import { closest } from "./suggest.js";
import type { DetectorArch, EvalCompat, EvalType, JsonValue, LabelProtocol, MethodName } from "./types.js";

// Checks that JSON Schema cannot express: does this method work with this
// detector, this label protocol and this metric? Every rule cites why
// (METHODS.md), so the error tells the user what the method needs.

export const BUILTIN_DATASETS = ["shapes", "coco", "voc", "lvis"] as const;
export const BUILTIN_ARCHS: readonly DetectorArch[] = ["ssd-lite", "retinanet-lite", "mlc-lite"];
const DETECTORS: readonly string[] = ["ssd-lite", "retinanet-lite"];
/** Built-in detectors with an FCOS-style centerness output (Co-mining's sqrt(cls·centerness) score): none yet. */
const CENTERNESS_ARCHS: readonly string[] = [];

export interface MethodRule {
  archs: readonly string[];
  protocols?: readonly LabelProtocol[];
  needsUnlabeled?: boolean;
  why: string;
}

/** Which detectors and label protocols each method accepts: the one table of these pairs (the engine's method registry reads it too). */
export const METHOD_RULES: Record<MethodName, MethodRule> = {
  supervised: { archs: BUILTIN_ARCHS, why: "" },
  csd: {
    archs: DETECTORS,
    needsUnlabeled: true,
    why: "CSD's flip consistency is learnt from unlabelled images (METHODS.md §1a)",
  },
  "co-mining": {
    archs: ["retinanet-lite"],
    protocols: ["full", "sparse"],
    why: "Co-mining mines missing boxes of sparsely annotated images with a focal-loss detector (METHODS.md §2a)",
  },
  sed: {
    archs: ["retinanet-lite"],
    needsUnlabeled: true,
    why: "SED distils a teacher across pyramid levels on unlabelled images (METHODS.md §3)",
  },
  richsem: {
    archs: ["retinanet-lite"],
    protocols: ["full", "sparse", "budget"],
    why: "RichSem needs a detector with a class-embedding classifier (METHODS.md §4a)",
  },
  scob: {
    archs: ["mlc-lite"],
    protocols: ["single-positive"],
    why: "Scob is a single-positive multi-label classifier method (METHODS.md §5)",
  },
  "mean-teacher": {
    archs: DETECTORS,
    needsUnlabeled: true,
    why: "a mean teacher learns from unlabelled images",
  },
  "pseudo-label": { archs: DETECTORS, needsUnlabeled: true, why: "self-training needs unlabelled images" },
  an: {
    archs: ["mlc-lite"],
    protocols: ["single-positive"],
    why: "assume-negative is a single-positive multi-label baseline (METHODS.md §5d)",
  },
  role: {
    archs: ["mlc-lite"],
    protocols: ["single-positive"],
    why: "ROLE is a single-positive multi-label baseline (METHODS.md §5d)",
  },
};

/**
 * eval.compat per eval type: the reference tool whose printed numbers the
 * default reproduces (DESIGN.md "Compat principle"), and the named options.
 * The evaluators (src/eval) and validation read this one table.
 */
export const EVAL_COMPAT: Record<EvalType, { default: EvalCompat; allowed: readonly EvalCompat[] }> = {
  coco: { default: "pycocotools", allowed: ["pycocotools", "corrected"] },
  lvis: { default: "lvis-api", allowed: ["lvis-api", "corrected"] },
  voc07: { default: "detectron2", allowed: ["detectron2", "ssd-pytorch", "corrected"] },
  voc: { default: "detectron2", allowed: ["detectron2", "ssd-pytorch", "corrected"] },
  multilabel: { default: "scob", allowed: ["scob", "corrected"] },
};

type Obj = { [k: string]: JsonValue };

function obj(v: JsonValue | undefined): Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
}

function usesTfjs(config: Obj): boolean {
  const engine = config.engine;
  return engine === undefined || engine === "tfjs" || !("command" in obj(engine));
}

/**
 * Dataset and detector names: a built-in name, or (command engine only) a free
 * name. A near miss of a built-in name is a typo either way.
 */
export function checkNames(config: Obj, locate?: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const tfjs = usesTfjs(config);
  const check = (path: KeyPath, value: JsonValue | undefined, known: readonly string[], what: string) => {
    if (typeof value !== "string" || known.includes(value)) return;
    const near = closest(value, known);
    if (near !== undefined || tfjs) {
      out.push({
        path,
        at: "value",
        location: locate?.(path, "value"),
        message:
          `unknown ${what} "${value}"; the tfjs engine knows ${known.join(", ")}` +
          (tfjs ? " (other names need engine.command)" : ""),
        hint: near && `did you mean "${near}"?`,
      });
    }
  };
  check(["dataset", "name"], obj(config.dataset).name, BUILTIN_DATASETS, "dataset");
  check(["detector", "arch"], obj(config.detector).arch, BUILTIN_ARCHS, "detector arch");
  return out;
}

function hasUnlabeled(config: Obj): boolean {
  const protocol = obj(config.labels).protocol;
  return protocol === "budget" || protocol === "active" || typeof obj(config.dataset).unlabeled === "string";
}

/** Method × detector × label protocol × metric, for one run config (a sweep cell). */
export function checkCompatibility(config: Obj, locate?: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const add = (path: KeyPath, message: string) =>
    out.push({ path, location: locate?.(path, "value"), message, at: "value" });
  const method = obj(config.method).name as MethodName | undefined;
  const detector = obj(config.detector);
  const arch = String(detector.arch ?? "");
  const protocol = obj(config.labels).protocol as LabelProtocol | undefined;
  const evalType = obj(config.eval).type;
  const rule = method ? METHOD_RULES[method] : undefined;
  const builtinArch = (BUILTIN_ARCHS as readonly string[]).includes(arch);

  if (rule && builtinArch && !rule.archs.includes(arch)) {
    add(
      ["method", "name"],
      `method "${method}" does not run on detector "${arch}"; expected detector.arch ${rule.archs.join(" or ")} — ${rule.why}`,
    );
  }
  if (rule?.protocols && protocol && !rule.protocols.includes(protocol)) {
    add(
      ["labels", "protocol"],
      `method "${method}" needs labels.protocol ${rule.protocols.join(" or ")}, got "${protocol}" — ${rule.why}`,
    );
  }
  if (rule?.needsUnlabeled && !hasUnlabeled(config)) {
    add(
      ["labels", "protocol"],
      `method "${method}" needs unlabelled images: use labels.protocol budget or active, or set dataset.unlabeled — ${rule.why}`,
    );
  }
  const methodBlock = obj(config.method);
  if (
    method === "co-mining" &&
    methodBlock.score === "sqrt-cls-centerness" &&
    builtinArch &&
    !CENTERNESS_ARCHS.includes(arch)
  ) {
    add(
      ["method", "score"],
      `method.score "sqrt-cls-centerness" is FCOS's sqrt(cls·centerness) (METHODS.md §2a) and needs a detector ` +
        `with a centerness output; detector "${arch}" has none — use score: cls`,
    );
  }
  if (method === "richsem" && arch === "retinanet-lite" && detector.classifier !== "embedding") {
    add(
      ["detector", "classifier"],
      `method "richsem" needs detector.classifier: embedding (logits = scale·cos(proj(h), t_c), METHODS.md §4a)`,
    );
  }
  if (method === "richsem") out.push(...richsemRules(config, methodBlock, locate));
  if (builtinArch && typeof evalType === "string") {
    const classifier = arch === "mlc-lite";
    if (classifier && evalType !== "multilabel") {
      add(
        ["eval", "type"],
        `detector "mlc-lite" is an image classifier; expected eval.type multilabel, got "${evalType}"`,
      );
    }
    if (!classifier && evalType === "multilabel") {
      add(
        ["eval", "type"],
        `eval.type multilabel scores image classifiers; detector "${arch}" needs coco, lvis, voc07 or voc`,
      );
    }
  }
  const engine = config.engine;
  if (
    config.params !== undefined &&
    !(engine !== null && typeof engine === "object" && "command" in engine)
  ) {
    add(
      ["params"],
      "params are read only by an external trainer ({params.x} in engine.command); the tfjs engine would ignore them — put tfjs settings under train, detector or method",
    );
  }
  const m = obj(config.method);
  if (method === "sed" && m.cross_scale !== false && m.scale_factor !== undefined && m.scale_factor !== 0.5) {
    add(
      ["method", "scale_factor"],
      `SED's cross-scale pairing puts the half-scale level l−1 beside the full-scale level l, so method.scale_factor must be 0.5 (got ${JSON.stringify(m.scale_factor)}); set cross_scale: false for other factors — METHODS.md §3a`,
    );
  }
  if (method === "sed" && m.cross_scale === false && m.same_scale === false) {
    add(
      ["method", "same_scale"],
      "SED with neither same_scale nor cross_scale learns nothing from unlabelled images",
    );
  }
  if (method === "pseudo-label" && (m.mode ?? "offline") === "offline" && m.burn_in === 0) {
    add(
      ["method", "burn_in"],
      "offline pseudo-labelling trains its labeller during the supervised burn-in: method.burn_in must be above 0",
    );
  }
  const dataset = obj(config.dataset).name;
  out.push(...checkCompatModes(config, locate));
  if (evalType === "lvis" && dataset !== "lvis" && dataset !== "shapes") {
    add(
      ["eval", "type"],
      `eval.type lvis needs LVIS-style annotations (dataset lvis or shapes), got dataset "${String(dataset)}"`,
    );
  }
  return out;
}

/** The reference seeds of the label compat modes (their draws ignore labels.fold). */
const FIXED_SEEDS: Record<string, number> = { cole: 1200, scob: 114514, "al-ssl": 314 };

/** eval.compat / eval.crowd and the label protocols' compat modes (DESIGN.md "Compat principle"). */
export function checkCompatModes(config: Obj, locate?: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const add = (path: KeyPath, message: string) =>
    out.push({ path, location: locate?.(path, "value"), message, at: "value" });
  const labels = obj(config.labels);
  const ev = obj(config.eval);
  const evalType = ev.type as EvalType | undefined;
  const table = evalType ? EVAL_COMPAT[evalType] : undefined;
  if (table && typeof ev.compat === "string" && !(table.allowed as readonly string[]).includes(ev.compat)) {
    add(
      ["eval", "compat"],
      `eval.compat "${ev.compat}" does not apply to eval.type ${evalType}; expected ${table.allowed.join(" or ")} ` +
        `(default ${table.default})`,
    );
  }
  if (ev.crowd !== undefined && evalType !== "multilabel") {
    add(["eval", "crowd"], `eval.crowd applies to eval.type multilabel, not ${String(evalType)}`);
  }
  const protocol = labels.protocol;
  const compat = typeof labels.compat === "string" ? labels.compat : "labelsweep";
  const seed = FIXED_SEEDS[compat];
  if (seed !== undefined && labels.fold !== undefined && labels.fold !== 1) {
    add(
      ["labels", "fold"],
      `labels.compat ${compat} draws with the reference's fixed seed ${seed}, so every fold would be the same split; ` +
        "labels.fold must be 1",
    );
  }
  if (protocol === "single-positive") {
    const crowd = labels.crowd ?? "positive";
    if ((compat === "cole" || compat === "scob") && crowd !== "positive") {
      add(
        ["labels", "crowd"],
        `labels.compat ${compat} counts crowd annotations as positives, as its loader does; crowd: ignore would change its labels`,
      );
    }
    if (labels.holdout !== undefined && compat !== "cole") {
      add(
        ["labels", "holdout"],
        "labels.holdout: only compat cole holds out a validation split (Cole et al.)",
      );
    }
    if (evalType === "multilabel" && (ev.crowd ?? "positive") !== crowd) {
      add(
        ["eval", "crowd"],
        `eval.crowd (${String(ev.crowd)}) must agree with labels.crowd (${String(crowd)}): the evaluator's ` +
          "positives must be the ones the protocol drew from",
      );
    }
  }
  if (protocol === "file") {
    const dataset = obj(config.dataset).name;
    if (dataset === "shapes" || dataset === "voc") {
      add(
        ["labels", "protocol"],
        `labels.protocol file reads a COCO-format JSON of the labelled images; dataset ${String(dataset)} is not a COCO-format dataset`,
      );
    }
  }
  return out;
}

/** RichSem's options that need something of the rest of the run (METHODS.md §4a, §4e). */
function richsemRules(config: Obj, m: Obj, locate?: Locator): Diagnostic[] {
  const out: Diagnostic[] = [];
  const add = (path: KeyPath, message: string) =>
    out.push({ path, location: locate?.(path, "value"), message, at: "value" });
  const ratio = typeof m.extra_ratio === "number" ? m.extra_ratio : 1;
  if (ratio > 0 && obj(config.labels).extra === undefined) {
    add(
      ["method", "extra_ratio"],
      `method "richsem" mixes extra image-level data into training (extra_ratio ${ratio}, code: 1:1) and needs ` +
        "labels.extra (extra images with image-level labels); set method.extra_ratio: 0 to train without them",
    );
  }
  const teacher = m.teacher ?? "classifier";
  const distill = typeof m.distill_weight === "number" ? m.distill_weight > 0 : true;
  if (teacher === "oracle" && distill && obj(config.dataset).name !== "shapes") {
    add(
      ["method", "teacher"],
      `method.teacher "oracle" reads class areas from known scenes and works on dataset "shapes" only; ` +
        `use teacher: classifier for dataset "${String(obj(config.dataset).name)}"`,
    );
  }
  if ((m.embeddings ?? "teacher") === "teacher" && teacher !== "classifier") {
    add(
      ["method", "embeddings"],
      `method.embeddings "teacher" takes the class embeddings of the region-classifier teacher; ` +
        `with teacher "${String(teacher)}" use embeddings: orthogonal or random`,
    );
  }
  return out;
}
