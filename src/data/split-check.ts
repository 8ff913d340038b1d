import { datasetHasSplit } from "../spec/compat.js";
import type { DatasetSpec, LabelsSpec, ShapesDatasetSpec } from "../spec/types.js";
import { SpecValueError, UserError } from "../util/errors.js";
import { normalizeLabels } from "./labels-params.js";
import { checkExtraFits } from "./prepare-split.js";
import { planActive } from "./protocols/active.js";
import { budgetSize } from "./protocols/budget.js";
import { type ExtraClasses, extraClassPool } from "./shapes/shapes-dataset.js";
import { type ResolvedShapesSpec, resolveShapesSpec } from "./shapes/shapes-spec.js";

// What preparing a split would refuse about a (dataset, labels) pair, found
// without reading a file: the same functions prepareSplit runs (the shapes
// generator's limits, the protocol's parameters, extra images that do not
// fit the dataset, and — for shapes, whose size the spec fixes — budgets
// that label no image or more images than there are). `validate` runs it on
// every distinct pair of a sweep, so it refuses exactly what `data prepare`
// and `run` would, before any work starts.

export interface SplitSpecProblem {
  /** Key path in the run config (["labels", "count"]); [] when the stage gave none. */
  path: readonly (string | number)[];
  message: string;
}

/** True when the data stage derives a split for this dataset (built in, or a dataset.train file). */
export const hasSplit = (dataset: DatasetSpec): boolean => datasetHasSplit(dataset);

export function splitSpecProblems(dataset: DatasetSpec, labels: LabelsSpec): SplitSpecProblem[] {
  const problems: SplitSpecProblem[] = [];
  const attempt = <T>(check: () => T): T | undefined => {
    try {
      return check();
    } catch (err) {
      if (err instanceof SpecValueError) problems.push({ path: err.path, message: err.what });
      else if (err instanceof UserError) problems.push({ path: [], message: err.message });
      else throw err;
      return undefined;
    }
  };
  const shapes: ResolvedShapesSpec | undefined =
    dataset.name === "shapes" ? attempt(() => resolveShapesSpec(dataset as ShapesDatasetSpec)) : undefined;
  if (!hasSplit(dataset) && labels.protocol !== "full") {
    problems.push({
      path: ["dataset", "name"],
      message:
        `${JSON.stringify(dataset.name)} is not built in and names no annotations: labels.protocol ` +
        `${labels.protocol} derives its split from the training annotations; give dataset.train (a COCO-format JSON)`,
    });
  }
  const params = attempt(() => normalizeLabels(labels));
  if (!params) return problems;
  attempt(() =>
    checkExtraFits(dataset.name === "shapes", dataset.name, params.extra as { images?: number } | undefined),
  );
  if (shapes) {
    const total = shapes.train_images;
    if (labels.protocol === "budget") attempt(() => budgetSize(labels, total));
    if (labels.protocol === "active") attempt(() => planActive(labels, total));
    // Rare or tail extra classes need such classes in the generated training set (computed from its scenes).
    const extra = params.extra as { images?: number; classes?: ExtraClasses } | undefined;
    if (extra?.images !== undefined && extra.classes && extra.classes !== "all") {
      const which = extra.classes;
      attempt(() => extraClassPool(shapes, which));
    }
  }
  return problems;
}
