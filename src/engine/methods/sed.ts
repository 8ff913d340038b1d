// `sed`: Scale-Equivalent Distillation (Guo et al., CVPR 2022). SED has no
// public code: this is METHODS.md §3a's reconstruction, every component a
// switch so the ablations can run (§3e), every choice in the provenance.
//
// - An EMA teacher (shared/ema-teacher.ts) sees the weak view of each
//   unlabelled image at full scale; after a supervised burn-in it is copied
//   from the student, then follows it (`ema_decay`).
// - The student sees the strong (or weak) view at full scale and, with
//   `cross_scale`, a copy rescaled by `scale_factor` (0.5): its level l−1 on
//   the half-scale copy has the grid and anchor geometry of level l at full
//   scale (shared/head-transforms.ts pairLevels), so the teacher's full-scale
//   level l supervises it anchor by anchor with no resampling.
// - `targets: soft`: dense distillation of the teacher's class distributions
//   and box deltas, each anchor weighted by the teacher's foreground
//   likelihood and normalised by the total weight (shared/distill.ts;
//   `reweight`, `gamma`). `targets: hard`: the teacher's thresholded boxes
//   become anchor targets of the detector's own loss at both scales.
// - L = L_sup(labelled) + λ_u·[L_same-scale + L_cross-scale].
// - Predictions from the teacher (`predict_with: teacher`) or the student, at
//   one scale: no inference cost.

import type { Scalar, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { UserError } from "../../util/errors.js";
import type { AnchorTargets, DetectorOutputs } from "../detect/detector.js";
import type { DetectionSample, SampleSource } from "../samples.js";
import { tf } from "../tf.js";
import type { TrainContext, TrainTask } from "../train/loop.js";
import { type Reweight, softDistill } from "./shared/distill.js";
import { EmaTeacher } from "./shared/ema-teacher.js";
import {
  anchorRange,
  type FlatOutputs,
  flattenLevels,
  pairLevels,
  rescaleImages,
  scoreChannels,
  sliceBatch,
} from "./shared/head-transforms.js";
import { methodOptions, stepsOf, trainBatchOptions } from "./shared/options.js";
import { pseudoAnchorTargets, pseudoNmsIou } from "./shared/pseudo-boxes.js";
import { type SemiBatch, SemiBatchComposer } from "./shared/semi-batch.js";
import { detectorOf, type MethodInputs, type MethodSetup } from "./types.js";

/** The teacher's outputs on a batch's unlabelled images, as plain values (constants of the step). */
interface TeacherTargets {
  /** Per level: logits and deltas, flattened over the level's anchors ([U·P_l·K], [U·P_l·4]). */
  levels: { cls: Float32Array; box: Float32Array; shape: number[] }[];
  /** Hard targets (targets: hard). */
  hard: AnchorTargets | null;
}

type SedBatch = SemiBatch & { teacher: TeacherTargets | null };

export function create(inputs: MethodInputs): MethodSetup {
  const detector = detectorOf(inputs);
  const { config, params, seed, iterations } = inputs;
  const m = methodOptions(config);
  const o = {
    decay: m.num("ema_decay", 0.999),
    lambdaU: m.num("lambda_u", 2),
    crossScale: m.bool("cross_scale", true),
    sameScale: m.bool("same_scale", true),
    reweight: m.choice<Reweight>("reweight", ["none", "foreground", "max-prob"], "foreground"),
    gamma: m.num("gamma", 1),
    targets: m.choice("targets", ["soft", "hard"] as const, "soft"),
    hardThreshold: m.num("hard_threshold", 0.7),
    scaleFactor: m.num("scale_factor", 0.5),
    burnIn: m.num("burn_in", 0.2),
    predictWith: m.choice("predict_with", ["teacher", "student"] as const, "teacher"),
    studentView: m.choice("student_view", ["strong", "weak"] as const, "strong"),
    boxDistill: m.bool("box_distill", true),
  };
  if (o.crossScale && o.scaleFactor !== 0.5) {
    throw new UserError(
      `method.scale_factor: the cross-scale pairing of level l with level l−1 needs 0.5, got ${o.scaleFactor}`,
    );
  }
  if (!o.crossScale && !o.sameScale)
    throw new UserError(
      "method: SED with neither same_scale nor cross_scale learns nothing from unlabelled images",
    );
  const head = detector.scoreKind;
  const k = scoreChannels(detector);
  const burnIn = stepsOf(o.burnIn, iterations);
  const composer = new SemiBatchComposer(
    detector,
    inputs.data.labelled as SampleSource<DetectionSample>,
    inputs.data.unlabelled,
    { ...trainBatchOptions(config), warmupIterations: burnIn, strong: o.studentView === "strong", seed },
  );
  const teacher = new EmaTeacher(params, { decay: o.decay, startAt: burnIn });
  const nmsIou = pseudoNmsIou(detector);

  const teacherTargets = (weak: Tensor4D): TeacherTargets => {
    let out: TeacherTargets = { levels: [], hard: null };
    tf.tidy(() => {
      const t = detector.forward(teacher.params, weak);
      out = {
        levels: t.levels.map((l) => ({
          cls: l.cls.dataSync() as Float32Array,
          box: l.box.dataSync() as Float32Array,
          shape: [...l.cls.shape],
        })),
        hard:
          o.targets === "hard"
            ? pseudoAnchorTargets(detector, t, {
                scoreThreshold: o.hardThreshold,
                nmsIou,
                maxDetections: 100,
              }).anchorTargets
            : null,
      };
    });
    return out;
  };

  /** The teacher's levels [from, to) flattened like a forward pass flattens them ([U·P, K] and [U·P, 4] values). */
  const teacherFlat = (
    t: TeacherTargets,
    from: number,
    to: number,
  ): { cls: Float32Array; box: Float32Array } => {
    const u = t.levels[0]!.shape[0]!;
    const perImage = (l: (typeof t.levels)[number]) => l.cls.length / u / k;
    const anchors = t.levels.slice(from, to).reduce((n, l) => n + perImage(l), 0);
    const cls = new Float32Array(u * anchors * k);
    const box = new Float32Array(u * anchors * 4);
    for (let i = 0; i < u; i++) {
      let at = i * anchors;
      for (const l of t.levels.slice(from, to)) {
        const p = perImage(l);
        cls.set(l.cls.subarray(i * p * k, (i + 1) * p * k), at * k);
        box.set(l.box.subarray(i * p * 4, (i + 1) * p * 4), at * 4);
        at += p;
      }
    }
    return { cls, box };
  };

  const flat2 = (f: FlatOutputs) => ({
    cls: tf.reshape(f.cls, [-1, k]) as Tensor2D,
    box: tf.reshape(f.box, [-1, 4]) as Tensor2D,
  });
  const distill = (student: FlatOutputs, t: { cls: Float32Array; box: Float32Array }) =>
    softDistill(flat2(student), t, { head, reweight: o.reweight, gamma: o.gamma, boxes: o.boxDistill });
  const hardLoss = (cls: FlatOutputs, targets: AnchorTargets) => {
    const l = detector.loss({ levels: [], ...cls } as DetectorOutputs, targets);
    return { cls: l.loss_cls!, box: o.boxDistill ? l.loss_box! : tf.scalar(0) };
  };

  const task: TrainTask<SedBatch> = {
    params,
    nextBatch: async (ctx: TrainContext): Promise<SedBatch> => {
      const b = await composer.next(ctx.iter);
      if (!b.unlabelled) return { ...b, teacher: null };
      teacher.sync(ctx.iter);
      return { ...b, teacher: teacherTargets(b.unlabelled.weak) };
    },
    losses: (_ctx: TrainContext, b: SedBatch): Record<string, Scalar> => {
      const nL = b.labelled.images.shape[0];
      if (!b.unlabelled || !b.teacher) {
        return detector.loss(detector.forward(params, b.labelled.images), b.labelled.anchorTargets);
      }
      const view = o.studentView === "strong" ? b.unlabelled.strong! : b.unlabelled.weak;
      const nU = view.shape[0];
      const out = detector.forward(params, tf.concat([b.labelled.images, view]) as Tensor4D);
      const terms: Record<string, Scalar> = {
        ...detector.loss(sliceBatch(out, 0, nL), b.labelled.anchorTargets),
      };
      const scaled = (x: Scalar) => tf.mul(x, o.lambdaU) as Scalar;
      const nLevels = b.teacher.levels.length;
      if (o.sameScale) {
        const student = sliceBatch(out, nL, nU);
        const same =
          o.targets === "soft"
            ? distill(flattenLevels(student.levels, k), teacherFlat(b.teacher, 0, nLevels))
            : hardLoss(student, b.teacher.hard!);
        terms.loss_same_cls = scaled(same.cls);
        if (o.boxDistill) terms.loss_same_box = scaled(same.box);
      }
      if (o.crossScale) {
        const half = detector.forward(params, rescaleImages(view, o.scaleFactor));
        const studentFull = sliceBatch(out, nL, nU);
        // pairLevels checks the grids; its `full` side is the student's here, only its anchor range is used.
        const pairs = pairLevels(studentFull, half, detector, 1);
        const cross =
          o.targets === "soft"
            ? distill(pairs.rescaled, teacherFlat(b.teacher, 1, nLevels))
            : hardLoss(pairs.rescaled, anchorRange(b.teacher.hard!, pairs.anchors.start, pairs.anchors.end));
        terms.loss_cross_cls = scaled(cross.cls);
        if (o.boxDistill) terms.loss_cross_box = scaled(cross.box);
      }
      return terms;
    },
    disposeBatch: (b) => composer.dispose(b),
  };

  return {
    task,
    hooks: [teacher.hook("ema-teacher")],
    inferenceParams: () =>
      o.predictWith === "teacher" && teacher.active(iterations - 1) ? teacher.params : params,
    dispose: () => teacher.dispose(),
    provenance: {
      method: "sed",
      reconstruction: "no official code; METHODS.md §3a reconstruction, every formula UNVERIFIED",
      ema_decay: o.decay,
      burn_in_fraction: o.burnIn,
      burn_in_iterations: burnIn,
      teacher_init: "copied from the student when the burn-in ends",
      teacher_view: "weak, full scale",
      student_view: o.studentView,
      same_scale: o.sameScale,
      cross_scale: o.crossScale,
      scale_factor: o.scaleFactor,
      pairing: "student level l-1 on the rescaled view <- teacher level l at full scale, anchor by anchor",
      targets: o.targets,
      soft_form:
        "classes: sum_c KL(Bern(q_c) || Bern(p_c)) (BCE with the teacher's soft targets minus its entropy); boxes: L1 on encoded deltas",
      hard_form: `teacher boxes with score > ${o.hardThreshold}, class-wise NMS ${nmsIou}, as anchor targets of the detector's own loss (cross-scale: the paired levels' targets)`,
      reweight: o.reweight,
      gamma: o.gamma,
      weight_form:
        "w = (1 - p_bg)^gamma with p_bg = prod_c (1 - q_c) (foreground), or (max_c q_c)^gamma (max-prob); loss = sum w*l / sum w over the batch's unlabelled anchors",
      box_distill: o.boxDistill,
      lambda_u: o.lambdaU,
      distilled_images: "unlabelled only",
      predict_with: o.predictWith,
      batches: composer.describe(),
    },
  };
}
