// The exponential-moving-average teacher, written once for every method that
// keeps one: SED and mean-teacher (teacher = EMA of the student, METHODS.md
// §3a) and Scob's momentum key encoder (§5a, α = 0.999; with
// `momentum_update: code` the official code's copy that never updates).
//
// The teacher is a second ParamStore with the student's names and shapes,
// initialised as a copy of the student; after every optimiser step each
// teacher value becomes decay·teacher + (1 − decay)·student. It is never
// trained (no gradient reaches it) and rides along in checkpoints as hook
// state, so a resumed run continues with the very same teacher.
//
// With `startAt` (a burn-in), the teacher is re-copied from the student when
// step `startAt` begins and moves only from then on: Unbiased Teacher's
// burn-in, after which the teacher is initialised from the supervised student
// (a teacher that starts from random weights would take ~1/(1 − decay) steps
// to forget them). With `update: false` and `startAt` it is a frozen snapshot
// of the student at that step (offline pseudo-labelling's teacher).

import type { ParamStore } from "../../nn/params.js";
import { ParamStore as Store } from "../../nn/params.js";
import { Rng } from "../../nn/rng.js";
import { tf } from "../../tf.js";
import type { HookState, TrainHook } from "../../train/loop.js";

export interface EmaTeacherOptions {
  decay: number;
  /** Only parameters whose names start with one of these prefixes (default: all). */
  prefixes?: string[];
  /** false: the teacher keeps its initial copy (Scob's code, `momentum_update: code`). */
  update?: boolean;
  /** Step (0-based) at which the teacher is re-copied from the student; EMA updates follow that step's (default 0). */
  startAt?: number;
}

export class EmaTeacher {
  readonly params: ParamStore;
  private readonly names: string[];

  constructor(
    private readonly student: ParamStore,
    private readonly options: EmaTeacherOptions,
  ) {
    this.params = new Store(new Rng(0));
    const prefixes = options.prefixes;
    this.names = [...student.vars.keys()].filter((n) => !prefixes || prefixes.some((p) => n.startsWith(p)));
    for (const name of this.names) {
      const v = student.get(name);
      this.params.fixed(name, [...v.shape], v.dataSync() as Float32Array, false);
    }
  }

  private synced = -1;

  /** teacher ← student (the end of a burn-in). */
  reset(): void {
    tf.tidy(() => {
      for (const name of this.names) this.params.get(name).assign(this.student.get(name));
    });
  }

  /**
   * Call before using the teacher at step `iter`: at step `startAt` it is
   * re-copied from the student (once, however often this is called).
   */
  sync(iter: number): void {
    if (iter === (this.options.startAt ?? 0) && this.synced !== iter && (this.options.startAt ?? 0) > 0)
      this.reset();
    this.synced = iter;
  }

  /** Whether the teacher is in use (not in a burn-in) at step `iter`. */
  active(iter: number): boolean {
    return iter >= (this.options.startAt ?? 0);
  }

  /** teacher ← decay·teacher + (1 − decay)·student, parameter by parameter. */
  update(): void {
    if (this.options.update === false) return;
    const d = this.options.decay;
    tf.tidy(() => {
      for (const name of this.names) {
        const t = this.params.get(name);
        t.assign(tf.add(tf.mul(t, d), tf.mul(this.student.get(name), 1 - d)));
      }
    });
  }

  /** A loop hook that updates the teacher after every step and checkpoints it. */
  hook<B>(name = "ema-teacher"): TrainHook<B> {
    return {
      name,
      beforeIter: (ctx) => this.sync(ctx.iter),
      afterStep: (_ctx, record) => {
        if (this.active(record.iter - 1)) this.update();
      },
      saveState: (): HookState => ({
        arrays: this.params.snapshot().map((e) => ({ name: e.name, shape: e.shape, values: e.values })),
      }),
      loadState: (state: HookState) => {
        if (state.arrays) this.params.load(state.arrays);
      },
    };
  }

  dispose(): void {
    this.params.dispose();
  }
}
