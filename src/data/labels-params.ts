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
  const fixedSeed = (compat: string, seed: number) => {
    // The reference draws with its own fixed seed: every fold would be the same split.
    if (fold !== DEFAULT_FOLD) {
      throw new SpecValueError(
        ["labels", "fold"],
        `compat ${compat} draws with the reference's fixed seed ${seed}, so labels.fold must be ${DEFAULT_FOLD} (got ${fold})`,
      );
    }
  };
  switch (labels.protocol) {
    case "full":
      break;
    case "single-positive": {
      const compat = labels.compat ?? "labelsweep";
      const crowd = labels.crowd ?? "positive";
      out.compat = compat;
      out.crowd = crowd;
      if (compat !== "labelsweep") {
        fixedSeed(compat, compat === "cole" ? 1200 : 114514);
        if (crowd !== "positive") {
          throw new SpecValueError(
            ["labels", "crowd"],
            `compat ${compat} counts crowd annotations as positives (as its loader does); crowd: ignore would change its labels`,
          );
        }
      }
      if (compat === "cole") {
        const h = labels.holdout ?? 0.2;
        if (!(h >= 0 && h < 1))
          throw new SpecValueError(["labels", "holdout"], `expected a fraction in [0, 1), got ${h}`);
        out.holdout = h;
      } else if (labels.holdout !== undefined) {
        throw new SpecValueError(
          ["labels", "holdout"],
          "only compat cole holds out a validation split (Cole et al.'s datasets.py)",
        );
      }
      break;
    }
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
      out.crowd = labels.crowd ?? "keep";
      break;
    }
    case "file": {
      if (typeof labels.annotations !== "string" || labels.annotations === "") {
        throw new SpecValueError(
          ["labels", "annotations"],
          "expected the path of a COCO-format JSON (relative to dataset.root)",
        );
      }
      // As written (relative to dataset.root): the key must not depend on where the data lives.
      out.annotations = labels.annotations;
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
      // The acquisition's options change which images later cycles label, not the initial set,
      // but they are part of the chain's protocol: recorded with it.
      if (labels.prefilter !== undefined) out.prefilter = labels.prefilter;
      if (labels.first_round !== undefined) out.first_round = labels.first_round;
      if (labels.cycle_init !== undefined) out.cycle_init = labels.cycle_init;
      out.compat = labels.compat ?? "labelsweep";
      if (out.compat === "al-ssl") fixedSeed("al-ssl", 314);
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
