// `an` (assume negative): the single-positive baseline of Cole et al. (CVPR
// 2021, loss_an) that Scob compares against (METHODS.md §5d) — every
// unobserved label is taken as a negative, plain BCE over all C classes,
// averaged over the batch × classes. mlc-lite's BCE is computed from logits
// (Cole et al. take −log(p + 1e-5) of sigmoid probabilities: the same loss up
// to that ε, without its underflow).

import type { MultiLabelSample, SampleSource } from "../samples.js";
import { classifierTask } from "../train/classifier-task.js";
import { batchOptions, classifierOf, type MethodInputs, type MethodSetup, observedOf } from "./types.js";

export function create(inputs: MethodInputs): MethodSetup {
  const model = classifierOf(inputs);
  observedOf(inputs);
  const source = inputs.data.labelled as SampleSource<MultiLabelSample>;
  return {
    task: classifierTask(model, inputs.params, source, batchOptions(inputs)),
    hooks: [],
    provenance: {
      loss: "BCE over all classes, unobserved labels negative (Cole et al. loss_an), from logits",
    },
  };
}
