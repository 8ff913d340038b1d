import type { Diagnostic, KeyPath, Locator } from "./diagnostics.js";
import { closest } from "./suggest.js";
import type { DetectorArch, JsonValue, LabelProtocol, MethodName } from "./types.js";

// Checks that JSON Schema cannot express: does this method work with this
// detector, this label protocol and this metric? Every rule cites why
// (METHODS.md), so the error tells the user what the method needs.

export const BUILTIN_DATASETS = ["shapes", "coco", "voc", "lvis"] as const;
export const BUILTIN_ARCHS: readonly DetectorArch[] = ["ssd-lite", "retinanet-lite", "mlc-lite"];
const DETECTORS: readonly string[] = ["ssd-lite", "retinanet-lite"];

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
  if (method === "richsem" && arch === "retinanet-lite" && detector.classifier !== "embedding") {
    add(
      ["detector", "classifier"],
      `method "richsem" needs detector.classifier: embedding (logits = scale·cos(proj(h), t_c), METHODS.md §4a)`,
    );
  }
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
  if (evalType === "lvis" && dataset !== "lvis" && dataset !== "shapes") {
    add(
      ["eval", "type"],
      `eval.type lvis needs LVIS-style annotations (dataset lvis or shapes), got dataset "${String(dataset)}"`,
    );
  }
  return out;
}
