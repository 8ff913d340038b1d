// `role`: Regularised Online Label Estimation (Cole et al., CVPR 2021), the
// single-positive baseline that Scob builds on (METHODS.md §5a, §5d): a
// learnable per-image × class label estimate trained jointly with the network
// through the symmetric ROLE loss with the expected-positive regulariser.
// Scob without its contrastive half: the same estimator and loss
// (shared/label-estimator.ts, shared/role.ts).

import { Rng } from "../nn/rng.js";
import type { MultiLabelSample, SampleSource } from "../samples.js";
import { hashSeed } from "../train/sampling.js";
import { ESTIMATOR_PREFIX, LabelEstimator } from "./shared/label-estimator.js";
import { expectedPositives, roleTask } from "./shared/role.js";
import {
  batchOptions,
  classifierOf,
  type MethodInputs,
  type MethodSetup,
  methodParam,
  observedOf,
} from "./types.js";

/** The estimator's parameter group: its own rate (a multiple of the run's, so it follows the schedule), no weight decay. */
export function estimatorGroup(inputs: MethodInputs, estimatorLr: number) {
  return {
    prefix: ESTIMATOR_PREFIX,
    lrScale: estimatorLr / (inputs.config.train.lr ?? 0.01),
    weightDecay: 0,
  };
}

export function create(inputs: MethodInputs): MethodSetup {
  const model = classifierOf(inputs);
  const observed = observedOf(inputs);
  const k = expectedPositives(methodParam(inputs, "expected_positives", "ground-truth"), observed);
  const estimatorLr = methodParam(inputs, "estimator_lr", 0.01);
  const estimator = new LabelEstimator(observed, new Rng(hashSeed(inputs.seed, "label-estimator")));
  const task = roleTask(
    model,
    inputs.params,
    inputs.data.labelled as SampleSource<MultiLabelSample>,
    estimator,
    {
      ...batchOptions(inputs),
      expectedPositives: k,
    },
  );
  return {
    task,
    hooks: [estimator.hook()],
    optimizerGroups: [estimatorGroup(inputs, estimatorLr)],
    provenance: {
      expected_positives: k,
      expected_positives_from:
        typeof inputs.config.method.expected_positives === "number" ? "spec" : "ground-truth",
      estimator_lr: estimatorLr,
      estimator_init:
        "uniform [logit 0.2, logit 0.8], observed positives logit 0.995 (Scob's LabelEstimator)",
      loss: "symmetric ROLE loss + EPR, negative weight (1 − y + 1e-5) as in Scob's losses.py",
    },
  };
}
