// `supervised`: train on the labels the protocol leaves, nothing else — the
// baseline row of every table. Detectors use the detection task (seeded
// epochs over the labelled images, augmentation, anchor targets, the
// detector's own loss); mlc-lite the multi-label classification task (BCE on
// the observed positives, every other class negative).

import type { DetectionSample, MultiLabelSample, SampleSource } from "../samples.js";
import { classifierTask } from "../train/classifier-task.js";
import { detectionTask } from "../train/detection-task.js";
import { batchOptions, type MethodInputs, type MethodSetup } from "./types.js";

export function create(inputs: MethodInputs): MethodSetup {
  const { model, params } = inputs;
  const options = batchOptions(inputs);
  const task =
    model.kind === "detector"
      ? detectionTask(model.model, params, inputs.data.labelled as SampleSource<DetectionSample>, options)
      : classifierTask(model.model, params, inputs.data.labelled as SampleSource<MultiLabelSample>, options);
  return { task, hooks: [], provenance: {} };
}
