// The training loop, written once (mmengine's runner-with-hooks shape).
//
// A TrainTask says what one step trains on (its batch composer and its base
// losses); hooks plug the methods in at named points without copying the
// loop: extra loss terms computed inside the same gradient tape (a flipped or
// rescaled forward pass, a consistency term, teacher targets), a second
// optimiser step within the iteration (Scob's contrastive update), work after
// each step (an EMA teacher update), and state that rides along in
// checkpoints. The loop owns seeding, the schedule, the optimiser,
// checkpoint/resume, periodic evaluation, progress events and a graceful stop
// on SIGTERM.

import type { Scalar, Tensor } from "@tensorflow/tfjs-core";
import type { JsonValue } from "../../spec/types.js";
import type { ParamStore } from "../nn/params.js";
import { Rng } from "../nn/rng.js";
import { tf } from "../tf.js";
import { type CheckpointData, loadLatestCheckpoint, type NamedArray, saveCheckpoint } from "./checkpoint.js";
import { Optimizer, type OptimizerConfig } from "./optimizer.js";
import { learningRate, type ScheduleSpec } from "./schedule.js";

export interface TrainConfig {
  iterations: number;
  lr: number;
  optimizer: OptimizerConfig;
  schedule?: ScheduleSpec;
  /** Seeds every random stream of the run (data order, augmentation, method sampling). */
  seed: number;
  /** Clip the global gradient norm (0/undefined: no clipping). */
  gradClipNorm?: number;
  /** Save a checkpoint every N iterations (and always when stopped or finished) when checkpointDir is set. */
  checkpointEvery?: number;
  checkpointDir?: string;
  /** Continue from the newest checkpoint in checkpointDir (default true). */
  resume?: boolean;
  /** Run task.evaluate every N iterations (and after the last one). */
  evalEvery?: number;
  /** Stop gracefully on SIGTERM: finish the step, checkpoint, return (default true). */
  handleSigterm?: boolean;
}

/** What a hook or task sees of the run. */
export interface TrainContext {
  iter: number;
  total: number;
  lr: number;
  /** The run's random stream for data order and augmentation (checkpointed). */
  rng: Rng;
  params: ParamStore;
  /** Per-step scratch space: the task can leave outputs here for hooks (cleared every step). */
  scratch: Map<string, unknown>;
}

export interface TrainTask<B> {
  params: ParamStore;
  /** The batch composer. */
  nextBatch(ctx: TrainContext): Promise<B> | B;
  /** Base loss terms of a batch, computed inside the gradient tape. */
  losses(ctx: TrainContext, batch: B): Record<string, Scalar>;
  disposeBatch?(batch: B): void;
  evaluate?(ctx: TrainContext): Promise<Record<string, number>>;
}

export interface HookState {
  json?: JsonValue;
  arrays?: NamedArray[];
}

/** A second gradient step of one iteration (see TrainHook.extraStep). */
export interface ExtraStep {
  /** Its loss terms (already weighted), computed inside its own gradient tape. */
  losses(): Record<string, Scalar>;
}

export interface TrainHook<B> {
  readonly name: string;
  /**
   * Before anything else, even before a checkpoint is restored: the place to
   * add the method's own trainable parameters to ctx.params (a label
   * estimator, a projection head) so that resuming finds them.
   */
  setup?(ctx: TrainContext): void | Promise<void>;
  beforeRun?(ctx: TrainContext): void | Promise<void>;
  beforeIter?(ctx: TrainContext, batch: B): void | Promise<void>;
  /** Extra loss terms for this batch (already weighted), inside the gradient tape. */
  losses?(ctx: TrainContext, batch: B, base: Record<string, Scalar>): Record<string, Scalar>;
  /**
   * A second optimiser step in the same iteration, after the main step has
   * been applied (so it sees the updated parameters): Scob's contrastive
   * update (METHODS.md §5a: backward, step, then CAM and a second
   * forward/backward/step). Parameters its losses do not reach get no
   * gradient and are left alone, as PyTorch's optimisers skip parameters
   * whose grad is None. Return null to skip it this iteration. Its terms join
   * the iteration's record.
   */
  extraStep?(ctx: TrainContext, batch: B): ExtraStep | null | Promise<ExtraStep | null>;
  afterStep?(ctx: TrainContext, record: IterRecord): void | Promise<void>;
  afterRun?(ctx: TrainContext, result: TrainResult): void | Promise<void>;
  saveState?(): HookState;
  loadState?(state: HookState): void;
}

export interface IterRecord {
  /** Iterations completed (1-based). */
  iter: number;
  total: number;
  /** The iteration's loss: the main step's, plus any extra step's. */
  loss: number;
  terms: Record<string, number>;
  lr: number;
  ms: number;
}

/** A progress event: the record with its loss terms spread next to `loss` ({iter, total, loss, loss_cls, …}). */
export type ProgressEvent = {
  type: "progress";
  iter: number;
  total: number;
  loss: number;
  lr: number;
  ms: number;
} & Record<string, number | string>;

export type TrainEvent =
  | ProgressEvent
  | { type: "resume"; iter: number; checkpoint: string }
  | { type: "eval"; iter: number; metrics: Record<string, number> }
  | { type: "checkpoint"; iter: number; path: string }
  | { type: "stopped"; iter: number; reason: string }
  | { type: "done"; iter: number };

export interface TrainResult {
  iterations: number;
  stopped: boolean;
  lastLoss: number | null;
  metrics: Record<string, number> | null;
}

export interface TrainIo {
  onEvent?: (event: TrainEvent) => void;
  /** Aborting stops the run like SIGTERM does. */
  signal?: AbortSignal;
}

/**
 * Scales every gradient by min(1, maxNorm / ‖g‖) with ‖g‖ the global L2 norm of
 * all of them, without reading anything back (the norm stays on the backend
 * and comes back with the step's loss).
 */
function globalNormClip(
  grads: Map<string, Tensor>,
  maxNorm: number,
): { grads: Map<string, Tensor>; norm: Scalar } {
  const norm = tf.tidy(
    () => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))) as Scalar,
  );
  const scale = tf.tidy(() => tf.minimum(1, tf.div(maxNorm, tf.maximum(norm, 1e-12))));
  const out = new Map<string, Tensor>();
  for (const [k, g] of grads) {
    out.set(k, tf.mul(g, scale));
    g.dispose();
  }
  scale.dispose();
  return { grads: out, norm };
}

export async function train<B>(
  task: TrainTask<B>,
  cfg: TrainConfig,
  hooks: TrainHook<B>[] = [],
  io: TrainIo = {},
): Promise<TrainResult> {
  const emit = io.onEvent ?? (() => {});
  const params = task.params;
  const optimizer = new Optimizer(cfg.optimizer, params);
  const ctx: TrainContext = {
    iter: 0,
    total: cfg.iterations,
    lr: cfg.lr,
    rng: new Rng(cfg.seed),
    params,
    scratch: new Map(),
  };

  for (const h of hooks) await h.setup?.(ctx);
  let start = 0;
  if (cfg.checkpointDir && (cfg.resume ?? true)) {
    const ck = loadLatestCheckpoint(cfg.checkpointDir);
    if (ck) {
      params.load(ck.params);
      optimizer.load({
        kind: ck.optimizer.kind as OptimizerConfig["kind"],
        step: ck.optimizer.step,
        slots: ck.optimizer.slots,
      });
      ctx.rng.restore(ck.rng.data ?? 0);
      for (const h of hooks) {
        const s = ck.hooks[h.name];
        if (s && h.loadState) h.loadState({ json: s.json, arrays: s.arrays });
      }
      start = ck.iter;
      emit({ type: "resume", iter: start, checkpoint: cfg.checkpointDir });
    }
  }

  let stopReason: string | null = null;
  const onTerm = () => {
    stopReason = "SIGTERM";
  };
  const onAbort = () => {
    stopReason = "aborted";
  };
  if (cfg.handleSigterm ?? true) process.on("SIGTERM", onTerm);
  io.signal?.addEventListener("abort", onAbort);

  const checkpoint = (iter: number) => {
    if (!cfg.checkpointDir) return;
    const opt = optimizer.state();
    const data: CheckpointData = {
      iter,
      params: params.snapshot(),
      optimizer: { kind: opt.kind, step: opt.step, slots: opt.slots },
      rng: { data: ctx.rng.save() },
      hooks: Object.fromEntries(hooks.filter((h) => h.saveState).map((h) => [h.name, h.saveState!()])),
    };
    emit({ type: "checkpoint", iter, path: saveCheckpoint(cfg.checkpointDir, data) });
  };

  /**
   * One gradient tape over `lossTerms`, then one optimiser update at the current rate.
   * The loss and its terms come back in one read, after the update has been issued: on a
   * GPU backend a read waits for all queued work, so one read per term would stall once per
   * term, and reading before the update would leave the GPU idle while it is encoded.
   */
  const gradientStep = async (
    lossTerms: () => Record<string, Scalar>,
  ): Promise<{ loss: number; terms: Record<string, number> }> => {
    const kept: Record<string, Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const terms = lossTerms();
      for (const [k, v] of Object.entries(terms)) kept[k] = tf.keep(v);
      return tf.addN(Object.values(terms)) as Scalar;
    }, params.trainable());
    const names = new Map(params.trainableNames().map((n) => [params.get(n).name, n]));
    let byName = new Map<string, Tensor>();
    for (const [varName, g] of Object.entries(grads)) byName.set(names.get(varName) ?? varName, g);
    if (cfg.gradClipNorm) {
      // The norm before clipping is reported as a term (grad_norm), read with the loss.
      const clipped = globalNormClip(byName, cfg.gradClipNorm);
      byName = clipped.grads;
      kept.grad_norm = clipped.norm;
    }
    const termNames = Object.keys(kept);
    const packed = tf.tidy(() => tf.stack([value, ...termNames.map((k) => kept[k]!)]));
    value.dispose();
    tf.dispose(Object.values(kept));
    optimizer.apply(byName, ctx.lr);
    tf.dispose([...byName.values()]);
    const read = await packed.data();
    packed.dispose();
    const loss = read[0]!;
    const terms: Record<string, number> = {};
    termNames.forEach((k, n) => {
      terms[k] = read[n + 1]!;
    });
    if (!Number.isFinite(loss)) {
      // The update above used non-finite gradients; the run ends here and no checkpoint holds them.
      throw new Error(
        `training diverged at iteration ${ctx.iter + 1}: loss ${loss} (${JSON.stringify(terms)})`,
      );
    }
    return { loss, terms };
  };

  let lastLoss: number | null = null;
  let metrics: Record<string, number> | null = null;
  let iter = start;
  try {
    for (const h of hooks) await h.beforeRun?.(ctx);
    for (; iter < cfg.iterations; iter++) {
      // Let the event loop run (signal handlers, I/O): a step otherwise only awaits microtasks.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (stopReason || io.signal?.aborted) break;
      ctx.iter = iter;
      ctx.lr = learningRate(cfg.lr, iter, cfg.iterations, cfg.schedule);
      ctx.scratch.clear();
      const t0 = performance.now();
      const batch = await task.nextBatch(ctx);
      for (const h of hooks) await h.beforeIter?.(ctx, batch);
      let loss: number;
      let terms: Record<string, number>;
      try {
        const main = await gradientStep(() => {
          const all = { ...task.losses(ctx, batch) };
          for (const h of hooks) {
            const extra = h.losses?.(ctx, batch, all);
            if (extra) Object.assign(all, extra);
          }
          return all;
        });
        loss = main.loss;
        terms = main.terms;
        for (const h of hooks) {
          const extra = await h.extraStep?.(ctx, batch);
          if (!extra) continue;
          const more = await gradientStep(() => extra.losses());
          loss += more.loss;
          Object.assign(terms, more.terms);
        }
      } finally {
        task.disposeBatch?.(batch);
        for (const v of ctx.scratch.values()) if (v instanceof tf.Tensor) v.dispose();
        ctx.scratch.clear();
      }
      lastLoss = loss;
      const record: IterRecord = {
        iter: iter + 1,
        total: cfg.iterations,
        loss,
        terms,
        lr: ctx.lr,
        ms: performance.now() - t0,
      };
      emit({
        ...record.terms,
        type: "progress",
        iter: record.iter,
        total: record.total,
        loss,
        lr: ctx.lr,
        ms: record.ms,
      });
      for (const h of hooks) await h.afterStep?.(ctx, record);
      const done = iter + 1;
      if (cfg.checkpointEvery && done % cfg.checkpointEvery === 0 && done < cfg.iterations) checkpoint(done);
      if (task.evaluate && cfg.evalEvery && done % cfg.evalEvery === 0 && done < cfg.iterations) {
        metrics = await task.evaluate(ctx);
        emit({ type: "eval", iter: done, metrics });
      }
    }
    const stopped = iter < cfg.iterations;
    if (stopped) {
      checkpoint(iter);
      emit({ type: "stopped", iter, reason: stopReason ?? "aborted" });
    } else {
      if (start < cfg.iterations) checkpoint(iter);
      if (task.evaluate) {
        metrics = await task.evaluate(ctx);
        emit({ type: "eval", iter, metrics });
      }
      emit({ type: "done", iter });
    }
    const result: TrainResult = { iterations: iter, stopped, lastLoss, metrics };
    for (const h of hooks) await h.afterRun?.(ctx, result);
    return result;
  } finally {
    process.off("SIGTERM", onTerm);
    io.signal?.removeEventListener("abort", onAbort);
    optimizer.dispose();
  }
}
