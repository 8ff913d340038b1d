// `pseudo-label`: self-training with hard pseudo-labels (the classic
// semi-supervised baseline), sharing mean-teacher's pieces
// (shared/self-training.ts) with a different labeller:
//
// - `mode: offline`: the supervised model at the end of the burn-in labels
//   the unlabelled images from then on — a frozen snapshot, never updated
//   (shared/ema-teacher.ts with updates off), as when a teacher is trained on
//   the labelled images first and its predictions become fixed labels. The
//   student continues from that snapshot's weights rather than from scratch.
// - `mode: online`: the model being trained labels each batch just before its
//   own update (no teacher).
//
// Pseudo-boxes come from the weak view (scores above `threshold`, class-wise
// NMS); the student learns them on the same weak view (plain self-training:
// no strong view).

import { UserError } from "../../util/errors.js";
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
    mode: m.choice("mode", ["offline", "online"] as const, "offline"),
    threshold: m.num("threshold", 0.7),
    lambdaU: m.num("lambda_u", 1),
    burnIn: m.num("burn_in", 0.3),
    boxLoss: m.bool("unlabelled_box_loss", true),
    maxPseudo: m.num("max_pseudo", 100),
    norm: m.choice("unlabelled_norm", UNLABELLED_NORMS, "at-least-labelled"),
  };
  const burnIn = stepsOf(o.burnIn, iterations);
  if (o.mode === "offline" && burnIn === 0) {
    throw new UserError(
      "method.burn_in: offline pseudo-labelling needs a supervised burn-in (> 0) to train its labeller",
    );
  }
  const composer = new SemiBatchComposer(
    detector,
    inputs.data.labelled as SampleSource<DetectionSample>,
    inputs.data.unlabelled,
    { ...trainBatchOptions(config), warmupIterations: burnIn, seed },
  );
  const snapshot =
    o.mode === "offline" ? new EmaTeacher(params, { decay: 0, update: false, startAt: burnIn }) : null;
  const nmsIou = pseudoNmsIou(detector);
  const task = selfTrainingTask(
    detector,
    params,
    composer,
    (iter) => {
      if (!snapshot) return params;
      snapshot.sync(iter);
      return snapshot.params;
    },
    {
      lambdaU: o.lambdaU,
      pseudo: { scoreThreshold: o.threshold, nmsIou, maxDetections: o.maxPseudo },
      studentView: "weak",
      boxLoss: o.boxLoss,
      norm: o.norm,
    },
  );
  return {
    task,
    hooks: snapshot ? [snapshot.hook("pseudo-labeller")] : [],
    dispose: () => snapshot?.dispose(),
    provenance: {
      method: "pseudo-label",
      mode: o.mode,
      labeller:
        o.mode === "offline"
          ? "the model at the end of the burn-in, frozen (the student continues from it)"
          : "the model being trained, on each batch before its update",
      burn_in_fraction: o.burnIn,
      burn_in_iterations: burnIn,
      threshold: o.threshold,
      pseudo_boxes: `score > ${o.threshold}, class-wise NMS ${nmsIou}, at most ${o.maxPseudo} per image, on the weak view`,
      student_view: "weak",
      lambda_u: o.lambdaU,
      unlabelled_box_loss: o.boxLoss,
      unlabelled_norm: describeNorm(o.norm),
      batches: composer.describe(),
    },
  };
}
