// From the spec's `detector:` section (schemas/experiment.schema.json:
// detectorSsd, detectorRetina, detectorMlc) to a model instance.

import type { DetectorSpec, JsonValue } from "../spec/types.js";
import { UserError } from "../util/errors.js";
import { MLC_LITE_DEFAULTS, MlcLite } from "./classify/mlc-lite.js";
import type { Detector } from "./detect/detector.js";
import { RETINANET_LITE_DEFAULTS, RetinaNetLite } from "./detect/retinanet-lite.js";
import { SSD_LITE_DEFAULTS, SsdLite } from "./detect/ssd-lite.js";

export type EngineModel = { kind: "detector"; model: Detector } | { kind: "classifier"; model: MlcLite };

function num(spec: DetectorSpec, key: string, fallback: number): number {
  const v = spec[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number")
    throw new UserError(`detector.${key}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function nums(spec: DetectorSpec, key: string, fallback: number[]): number[] {
  const v: JsonValue | undefined = spec[key];
  if (v === undefined || v === null) return fallback;
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number")) {
    throw new UserError(`detector.${key}: expected a list of numbers, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

/** The tfjs engine's model for `spec`, with `numClasses` classes and S×S inputs. */
export function createModel(spec: DetectorSpec, numClasses: number, imageSize: number): EngineModel {
  const width = num(spec, "width", 16);
  switch (spec.arch) {
    case "ssd-lite": {
      const ratios = nums(spec, "anchor_ratios", SSD_LITE_DEFAULTS.ratios);
      const [c, s] = nums(spec, "variances", SSD_LITE_DEFAULTS.variances);
      return {
        kind: "detector",
        model: new SsdLite({
          ...SSD_LITE_DEFAULTS,
          numClasses,
          imageSize,
          backbone: { width, levels: num(spec, "levels", 3) },
          ratios,
          scales: nums(spec, "anchor_scales", SSD_LITE_DEFAULTS.scales),
          variances: [c!, s!],
          negPosRatio: num(spec, "neg_pos_ratio", SSD_LITE_DEFAULTS.negPosRatio),
        }),
      };
    }
    case "retinanet-lite": {
      const [bg, fg] = nums(spec, "iou_thresholds", [0.4, 0.5]);
      const boxLoss = spec.box_loss ?? "smooth_l1";
      const embedding = spec.classifier === "embedding";
      return {
        kind: "detector",
        model: new RetinaNetLite({
          ...RETINANET_LITE_DEFAULTS,
          numClasses,
          imageSize,
          backbone: { width, levels: num(spec, "levels", 3) },
          anchorScales: nums(spec, "anchor_scales", RETINANET_LITE_DEFAULTS.anchorScales),
          ratios: nums(spec, "anchor_ratios", RETINANET_LITE_DEFAULTS.ratios),
          focalAlpha: num(spec, "focal_alpha", 0.25),
          focalGamma: num(spec, "focal_gamma", 2),
          boxBeta: boxLoss === "l1" ? 0 : num(spec, "smooth_l1_beta", 0.1),
          matcher: { ...RETINANET_LITE_DEFAULTS.matcher, bg: bg!, fg: fg! },
          ...(embedding
            ? { embedding: { dim: num(spec, "embedding_dim", 32), scale: num(spec, "logit_scale", 20) } }
            : {}),
        }),
      };
    }
    case "mlc-lite": {
      const pool = spec.pooling ?? MLC_LITE_DEFAULTS.pool;
      if (pool !== "avg" && pool !== "attention") {
        throw new UserError(`detector.pooling: expected avg or attention, got ${JSON.stringify(pool)}`);
      }
      return {
        kind: "classifier",
        model: new MlcLite({
          ...MLC_LITE_DEFAULTS,
          numClasses,
          imageSize,
          backbone: { width, levels: 2 },
          dim: num(spec, "feature_dim", MLC_LITE_DEFAULTS.dim),
          pool,
        }),
      };
    }
    default:
      throw new UserError(
        `detector.arch '${spec.arch}' is not built into the tfjs engine (ssd-lite, retinanet-lite, mlc-lite); ` +
          "other architectures run through engine.command",
      );
  }
}
