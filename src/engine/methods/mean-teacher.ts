// `mean-teacher`: the EMA-teacher self-training baseline of semi-supervised
// detection tables, as Unbiased Teacher trains it (facebookresearch/
// unbiased-teacher@6977c6f, ubteacher/engine/trainer.py; defaults there:
// burn-in 2000 of 180k steps, EMA keep rate 0.9996, box threshold 0.7,
// unsupervised weight 4, no regression loss on pseudo-boxes):
//
// - burn-in: the first `burn_in` of training is supervised only; then the
//   teacher is copied from the student and follows it as an EMA
//   (shared/ema-teacher.ts);
// - the teacher labels the weak view of each unlabelled image (boxes above
//   `threshold`, class-wise NMS), the student learns those hard pseudo-labels
//   on the strong view (shared/self-training.ts, shared/semi-batch.ts);
// - predictions come from the teacher (`predict_with: teacher`) or the student.
//
// Unbiased Teacher's focal-loss ROI head and its labelled images in both views
// are not reproduced: the student's loss is the detector's own.

import type { DetectionSample, SampleSource } from "../samples.js";
import { EmaTeacher } from "./shared/ema-teacher.js";
import { methodOptions, stepsOf, trainBatchOptions } from "./shared/options.js";
import { pseudoNmsIou } from "./shared/pseudo-boxes.js";
import { describeNorm, selfTrainingTask, UNLABELLED_NORMS } from "./shared/self-training.js";
import { SemiBatchComposer } from "./shared/semi-batch.js";
import { detectorOf, type MethodInputs, type MethodSetup } from "./types.js";

export function create(inputs: MethodInputs): MethodSetup {
  const detector = detectorOf(inputs);
  const { config, params, seed, iterations } = inputs;
  const m = methodOptions(config);
  const o = {
    decay: m.num("ema_decay", 0.999),
    threshold: m.num("threshold", 0.7),
    lambdaU: m.num("lambda_u", 1),
    burnIn: m.num("burn_in", 0.2),
    predictWith: m.choice("predict_with", ["teacher", "student"] as const, "teacher"),
    boxLoss: m.bool("unlabelled_box_loss", false),
    maxPseudo: m.num("max_pseudo", 100),
    norm: m.choice("unlabelled_norm", UNLABELLED_NORMS, "at-least-labelled"),
  };
  const burnIn = stepsOf(o.burnIn, iterations);
  const composer = new SemiBatchComposer(
    detector,
    inputs.data.labelled as SampleSource<DetectionSample>,
    inputs.data.unlabelled,
    { ...trainBatchOptions(config), warmupIterations: burnIn, strong: true, seed },
  );
  const teacher = new EmaTeacher(params, { decay: o.decay, startAt: burnIn });
  const nmsIou = pseudoNmsIou(detector);
  const task = selfTrainingTask(
    detector,
    params,
    composer,
    (iter) => {
      teacher.sync(iter);
      return teacher.params;
    },
    {
      lambdaU: o.lambdaU,
      pseudo: { scoreThreshold: o.threshold, nmsIou, maxDetections: o.maxPseudo },
      studentView: "strong",
      boxLoss: o.boxLoss,
      norm: o.norm,
    },
  );
  return {
    task,
    hooks: [teacher.hook("ema-teacher")],
    inferenceParams: () =>
      o.predictWith === "teacher" && teacher.active(iterations - 1) ? teacher.params : params,
    dispose: () => teacher.dispose(),
    provenance: {
      method: "mean-teacher",
      ema_decay: o.decay,
      burn_in_fraction: o.burnIn,
      burn_in_iterations: burnIn,
      teacher_init: "copied from the student when the burn-in ends (Unbiased Teacher)",
      threshold: o.threshold,
      pseudo_boxes: `score > ${o.threshold}, class-wise NMS ${nmsIou}, at most ${o.maxPseudo} per image, from the teacher on the weak view`,
      student_view:
        "strong (colour jitter, grayscale, random erasing; Unbiased Teacher's recipe without hue and blur)",
      lambda_u: o.lambdaU,
      unlabelled_box_loss: o.boxLoss,
      unlabelled_norm: describeNorm(o.norm),
      unlabelled_loss:
        "the detector's own loss on the pseudo-boxes (Unbiased Teacher: focal-loss ROI head; not reproduced)",
      predict_with: o.predictWith,
      batches: composer.describe(),
    },
  };
}
