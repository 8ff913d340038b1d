import type { Diagnostic, Locator } from "./diagnostics.js";
import type { JsonValue } from "./types.js";

// labels.extra adds images with image-level labels (RichSem's extra data). On
// the built-in engine only RichSem reads them — as training batches
// (extra_ratio > 0) or to fit its region-classifier teacher — so under any
// other method, or RichSem with neither, a run with extra images trains
// exactly as the run without them: a second key for the same numbers. An
// external trainer is handed the extra file ({split.extra}) and may use it.

type Obj = { [k: string]: JsonValue };

function obj(v: JsonValue | undefined): Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {};
}

/** Whether a built-in run would train on labels.extra's images at all. */
function readsExtra(method: Obj): boolean {
  if (method.name !== "richsem") return false;
  const ratio = typeof method.extra_ratio === "number" ? method.extra_ratio : 1;
  if (ratio > 0) return true;
  // The region-classifier teacher (the default) is fitted on the extra images too, when there is one.
  const distill = typeof method.distill_weight === "number" ? method.distill_weight > 0 : true;
  const embeddings = method.embeddings ?? "teacher";
  return (method.teacher ?? "classifier") === "classifier" && (distill || embeddings === "teacher");
}

export function checkExtraUse(config: Obj, locate?: Locator): Diagnostic[] {
  const labels = obj(config.labels);
  if (labels.extra === undefined || labels.extra === null) return [];
  const engine = config.engine;
  if (engine !== null && typeof engine === "object" && !Array.isArray(engine) && "command" in engine)
    return [];
  const method = obj(config.method);
  if (readsExtra(method)) return [];
  const name = typeof method.name === "string" ? method.name : "supervised";
  const path = ["labels", "extra"];
  return [
    {
      path,
      at: "key",
      location: locate?.(path, "key"),
      message:
        name === "richsem"
          ? "labels.extra: richsem with extra_ratio 0 and no region-classifier teacher never reads the extra images, so these runs would train exactly as without them"
          : `labels.extra: method ${name} never reads the extra images on the built-in engine, so these runs would train exactly as without them`,
      hint:
        name === "richsem"
          ? "set extra_ratio above 0 for extra batches, or teacher: classifier, or remove labels.extra"
          : "remove labels.extra, or use method richsem: with distill_weight 0 it trains the detector on the extra images without its semantic head",
    },
  ];
}
