// RichSem's teacher, option (i) of METHODS.md §4e: a small region classifier
// standing in for CLIP. Like CLIP it scores a region by scale·cos(f, t_c)
// between its image embedding f and one embedding t_c per class, so t_c can
// also serve as the detector's fixed class embeddings (`embeddings: teacher`,
// RichSem's CLIP text embeddings, §4a). It is trained first — by the one
// training loop, on crops of the labelled boxes and on the extra images
// (whole image, image-level label), softmax cross-entropy, flips — then
// frozen; its soft targets are softmax(logits / T) of the crops of the
// detector's own augmented boxes (RichSem: RoIAlign on the same image).

import type { Scalar, Tensor1D, Tensor2D, Tensor4D } from "@tensorflow/tfjs-core";
import { backbone, createBackbone, normalise } from "../../detect/backbone.js";
import { xywhToXyxy } from "../../detect/boxes.js";
import { ParamStore } from "../../nn/params.js";
import { Rng } from "../../nn/rng.js";
import { type DetectionSample, labelsAt, type SampleSource } from "../../samples.js";
import { tf } from "../../tf.js";
import { type TrainContext, type TrainTask, train } from "../../train/loop.js";
import { epochBatch, stepRng } from "../../train/sampling.js";
import { type SoftTeacher, softmaxRow, type TeacherBatch } from "./soft-teacher.js";

export interface RegionClassifierOptions {
  numClasses: number;
  /** Embedding dimension (= the detector's embedding_dim when its class embeddings come from here). */
  dim: number;
  /** Cosine-logit scale (the detector's logit_scale). */
  scale: number;
  /** Crop side in pixels. */
  crop: number;
  /** Backbone width. */
  width: number;
  iterations: number;
  batch: number;
  lr: number;
  temperature: number;
}

/** Normalised [y1, x1, y2, x2] for tf.image.cropAndResize of an xyxy pixel box: first to last covered pixel centre. */
export function cropBox(box: readonly number[], height: number, width: number): number[] {
  const n = (v: number, size: number) => Math.min(Math.max((v - 0.5) / Math.max(1, size - 1), 0), 1);
  const y1 = n(box[1]! + 0.5, height);
  const x1 = n(box[0]! + 0.5, width);
  const y2 = Math.max(y1, n(box[3]! - 0.5, height));
  const x2 = Math.max(x1, n(box[2]! - 0.5, width));
  return [y1, x1, y2, x2];
}

/** Crops (with their classes) of every labelled box and every extra image, at crop × crop. */
async function cropBank(
  labelled: SampleSource<DetectionSample>,
  extra: SampleSource<DetectionSample> | undefined,
  crop: number,
): Promise<{ crops: Float32Array; classes: Int32Array }> {
  const parts: Float32Array[] = [];
  const classes: number[] = [];
  for (const source of extra ? [labelled, extra] : [labelled]) {
    for (let i = 0; i < source.size; i++) {
      const labels = await labelsAt(source, i);
      if (labels.boxes.length === 0) continue;
      const s = await source.get(i);
      const boxes = labels.boxes.map((b) => cropBox(xywhToXyxy(b), s.height, s.width));
      const out = tf.tidy(() =>
        tf.image.cropAndResize(
          tf.tensor4d(s.image, [1, s.height, s.width, 3]),
          tf.tensor2d(boxes.flat(), [boxes.length, 4]) as Tensor2D,
          tf.tensor1d(new Array(boxes.length).fill(0), "int32") as Tensor1D,
          [crop, crop],
        ),
      );
      parts.push(out.dataSync() as Float32Array);
      out.dispose();
      classes.push(...labels.classes);
    }
  }
  const per = crop * crop * 3;
  const crops = new Float32Array(classes.length * per);
  let o = 0;
  for (const p of parts) {
    crops.set(p, o);
    o += p.length;
  }
  return { crops, classes: Int32Array.from(classes) };
}

export class RegionClassifier implements SoftTeacher {
  readonly name = "classifier";
  readonly needsCoverage = false;
  readonly params: ParamStore;
  private readonly backboneConfig: { width: number; levels: number };

  constructor(
    readonly options: RegionClassifierOptions,
    seed: number,
  ) {
    const o = options;
    this.backboneConfig = { width: o.width, levels: 1 };
    this.params = new ParamStore(new Rng(seed));
    createBackbone(this.params, "teacher.backbone", this.backboneConfig);
    this.params.dense("teacher.proj.w", 4 * o.width, o.dim);
    this.params.constant("teacher.proj.b", [o.dim], 0);
    const t = new Float32Array(o.numClasses * o.dim);
    const rng = new Rng(seed ^ 0x5eed);
    for (let i = 0; i < t.length; i++) t[i] = rng.normal();
    this.params.fixed("teacher.embed", [o.numClasses, o.dim], t, true);
  }

  /** scale·cos(proj(GAP(backbone(crop))), t_c) for crops [N, c, c, 3] in [0, 1]. */
  logits(crops: Tensor4D): Tensor2D {
    return tf.tidy(() => {
      const p = this.params;
      const [feat] = backbone(p, "teacher.backbone", this.backboneConfig, normalise(crops));
      const pooled = tf.mean(feat!, [1, 2]) as Tensor2D;
      const f = tf.add(tf.matMul(pooled, p.get("teacher.proj.w") as Tensor2D), p.get("teacher.proj.b"));
      const fn = tf.div(f, tf.sqrt(tf.add(tf.sum(tf.square(f), 1, true), 1e-12)));
      const t = p.get("teacher.embed") as Tensor2D;
      const tn = tf.div(t, tf.sqrt(tf.add(tf.sum(tf.square(t), 1, true), 1e-12)));
      return tf.mul(tf.matMul(fn, tn, false, true), this.options.scale) as Tensor2D;
    });
  }

  /** The class embeddings t_c, unit length, [K·D] row-major. */
  classEmbeddings(): Float32Array {
    return tf.tidy(() => {
      const t = this.params.get("teacher.embed");
      return tf.div(t, tf.sqrt(tf.add(tf.sum(tf.square(t), 1, true), 1e-12))).dataSync() as Float32Array;
    });
  }

  /** Trains on the crop bank with the one training loop, then freezes every parameter. */
  async fit(
    labelled: SampleSource<DetectionSample>,
    extra: SampleSource<DetectionSample> | undefined,
    seed: number,
  ): Promise<{ crops: number; lastLoss: number | null }> {
    const o = this.options;
    const bank = await cropBank(labelled, extra, o.crop);
    const n = bank.classes.length;
    if (n === 0) throw new Error("the region-classifier teacher has no labelled boxes to learn from");
    const per = o.crop * o.crop * 3;
    const task: TrainTask<{ crops: Tensor4D; labels: Tensor2D }> = {
      params: this.params,
      nextBatch: (ctx: TrainContext) => {
        const idx = epochBatch(n, o.batch, ctx.iter, seed, "teacher");
        const rng = stepRng(seed, ctx.iter, "teacher/flip");
        const data = new Float32Array(idx.length * per);
        idx.forEach((j, k) => {
          const src = bank.crops.subarray(j * per, (j + 1) * per);
          if (rng.next() < 0.5) {
            for (let y = 0; y < o.crop; y++)
              for (let x = 0; x < o.crop; x++)
                for (let c = 0; c < 3; c++)
                  data[k * per + (y * o.crop + x) * 3 + c] = src[(y * o.crop + (o.crop - 1 - x)) * 3 + c]!;
          } else data.set(src, k * per);
        });
        return {
          crops: tf.tensor4d(data, [idx.length, o.crop, o.crop, 3]),
          labels: tf
            .oneHot(
              tf.tensor1d(
                idx.map((j) => bank.classes[j]!),
                "int32",
              ),
              o.numClasses,
            )
            .toFloat() as Tensor2D,
        };
      },
      losses: (_ctx, batch) => ({
        loss_teacher: tf.losses.softmaxCrossEntropy(batch.labels, this.logits(batch.crops)) as Scalar,
      }),
      disposeBatch: (batch) => tf.dispose([batch.crops, batch.labels]),
    };
    const result = await train(task, {
      iterations: o.iterations,
      lr: o.lr,
      optimizer: { kind: "adam", weightDecay: 0 },
      schedule: { type: "cosine", warmup: Math.min(20, Math.floor(o.iterations / 10)) },
      seed,
      handleSigterm: false,
    });
    this.freeze();
    return { crops: n, lastLoss: result.lastLoss };
  }

  freeze(): void {
    this.params.freeze("");
  }

  targets(batch: TeacherBatch): number[][][] {
    const [, h, w] = batch.images.shape;
    const boxes: number[][] = [];
    const owner: number[] = [];
    batch.targets.forEach((t, i) => {
      for (const b of t.boxes) {
        boxes.push(cropBox(b, h, w));
        owner.push(i);
      }
    });
    const out: number[][][] = batch.targets.map(() => []);
    if (boxes.length === 0) return out;
    const logits = tf.tidy(() =>
      this.logits(
        tf.image.cropAndResize(
          batch.images,
          tf.tensor2d(boxes.flat(), [boxes.length, 4]) as Tensor2D,
          tf.tensor1d(owner, "int32") as Tensor1D,
          [this.options.crop, this.options.crop],
        ) as Tensor4D,
      ),
    );
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    const k = this.options.numClasses;
    owner.forEach((i, r) => {
      out[i]!.push(softmaxRow(values.subarray(r * k, (r + 1) * k), this.options.temperature));
    });
    return out;
  }

  dispose(): void {
    this.params.dispose();
  }
}
