import type { JsonObject, LabelsSpec } from "../spec/types.js";
import { SpecValueError } from "../util/errors.js";
import { validateSparse } from "./protocols/sparse.js";

/** Data split index used when a spec gives none (mmdetection's folds are 1..5, seed = fold). */
export const DEFAULT_FOLD = 1;

/**
 * The protocol parameters with every default made explicit: what a split is a
 * function of (with the input and the generator version). Two specs that
 * normalise equal share one cached artifact.
 */
export function normalizeLabels(labels: LabelsSpec): JsonObject {
  const fold = labels.fold ?? DEFAULT_FOLD;
  if (!Number.isInteger(fold) || fold < 0 || fold > 0xffffffff) {
    throw new SpecValueError(
      ["labels", "fold"],
      `expected a whole number in [0, 2^32 - 1], got ${JSON.stringify(labels.fold)}`,
    );
  }
  const out: JsonObject = { protocol: labels.protocol, fold };
  switch (labels.protocol) {
    case "full":
    case "single-positive":
      break;
    case "budget": {
      if ((labels.fraction === undefined) === (labels.count === undefined)) {
        throw new SpecValueError(["labels"], "a budget needs exactly one of fraction or count");
      }
      if (labels.fraction !== undefined) out.fraction = labels.fraction;
      if (labels.count !== undefined) out.count = labels.count;
      out.compat = labels.compat ?? "labelsweep";
      out.nested = labels.nested ?? true;
      if (out.compat === "mmdet" && labels.nested === false) {
        throw new SpecValueError(
          ["labels", "nested"],
          "false is not available with compat: mmdet (its draws always nest: a smaller budget of a fold is a prefix of a larger one's draws)",
        );
      }
      break;
    }
    case "sparse": {
      validateSparse(labels);
      out.level = labels.level;
      // easy, hard and extreme keep a box by construction: the flag only means something for the others.
      if (labels.level === "missing50p" || typeof labels.level === "object") {
        out.keep_at_least_one = labels.keep_at_least_one ?? true;
      }
      break;
    }
    case "active": {
      const size = (s: { fraction?: number; count?: number }) => {
        const o: JsonObject = {};
        if (s.fraction !== undefined) o.fraction = s.fraction;
        if (s.count !== undefined) o.count = s.count;
        return o;
      };
      out.initial = size(labels.initial);
      out.per_cycle = size(labels.per_cycle);
      out.cycles = labels.cycles;
      out.acquisition = labels.acquisition;
      break;
    }
    default: {
      const never: never = labels;
      throw new SpecValueError(
        ["labels", "protocol"],
        `unknown protocol ${JSON.stringify((never as LabelsSpec).protocol)}`,
      );
    }
  }
  if (labels.extra) {
    const { images, annotations, images_dir, classes } = labels.extra;
    if ((images === undefined) === (annotations === undefined)) {
      throw new SpecValueError(
        ["labels", "extra"],
        "give images (how many to generate, shapes) or annotations (a real dataset's image-level JSON), not both",
      );
    }
    if (classes !== undefined && classes !== "all" && classes !== "rare" && classes !== "tail") {
      throw new SpecValueError(
        ["labels", "extra", "classes"],
        `expected all, rare or tail, got ${JSON.stringify(classes)}`,
      );
    }
    if (images !== undefined) {
      if (!Number.isInteger(images) || images < 1) {
        throw new SpecValueError(
          ["labels", "extra", "images"],
          `expected a whole number ≥ 1, got ${JSON.stringify(images)}`,
        );
      }
      out.extra = { images, classes: classes ?? "all" };
    } else {
      if (typeof annotations !== "string" || annotations === "") {
        throw new SpecValueError(
          ["labels", "extra", "annotations"],
          "expected the path of a COCO-style JSON",
        );
      }
      // Paths stay as written (relative to dataset.root): the key must not depend on where the data lives.
      out.extra = {
        annotations,
        ...(images_dir !== undefined ? { images_dir } : {}),
        classes: classes ?? "all",
      };
    }
  }
  return out;
}
