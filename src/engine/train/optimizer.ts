// SGD (momentum, L2 weight decay) and Adam / AdamW with the PyTorch update
// rules, a learning rate set per step (tfjs's own Adam cannot change its rate
// or decay weights), and state that checkpoints by parameter name.
// As in PyTorch, each parameter counts its own updates (Adam's bias
// correction, SGD's first momentum buffer): a parameter without a gradient in
// a step is skipped and its count stands still — which matters when one
// iteration takes two steps over different parameters (Scob, METHODS.md §5a).

import type { Tensor, Variable } from "@tensorflow/tfjs-core";
import type { ParamStore } from "../nn/params.js";
import { tf } from "../tf.js";
import { canFuse, fused } from "../webgpu/fused.js";

export interface OptimizerConfig {
  kind: "sgd" | "adam" | "adamw";
  momentum?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /**
   * Parameter groups by name prefix (first match wins), e.g. Scob's Adam with
   * separate rates for the transformer, projector and label estimator
   * (METHODS.md §5a): the step's rate is multiplied by lrScale.
   */
  groups?: { prefix: string; lrScale?: number; weightDecay?: number }[];
}

export interface OptimizerState {
  kind: OptimizerConfig["kind"];
  step: number;
  slots: { name: string; shape: number[]; values: Float32Array }[];
}

/** Suffix of the per-parameter update counts in a checkpoint's slots. */
const COUNT = ".step";

export class Optimizer {
  private step = 0;
  private readonly slots = new Map<string, Variable>();
  /** Updates applied to each parameter (PyTorch's per-parameter state["step"]). */
  private readonly counts = new Map<string, number>();

  constructor(
    readonly config: OptimizerConfig,
    private readonly params: ParamStore,
  ) {}

  private slot(name: string, like: Tensor): Variable {
    let v = this.slots.get(name);
    if (!v) {
      v = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      this.slots.set(name, v);
    }
    return v;
  }

  /** Applies one update; grads are keyed by parameter name (missing names are left alone). */
  apply(grads: Map<string, Tensor>, baseLr: number): void {
    const c = this.config;
    this.step++;
    const fuse = canFuse();
    tf.tidy(() => {
      for (const name of this.params.trainableNames()) {
        const g0 = grads.get(name);
        if (!g0) continue;
        const t = (this.counts.get(name) ?? 0) + 1;
        this.counts.set(name, t);
        const group = c.groups?.find((gr) => name.startsWith(gr.prefix));
        const lr = baseLr * (group?.lrScale ?? 1);
        const wd = group?.weightDecay ?? c.weightDecay ?? 0;
        const p = this.params.get(name);
        if (fuse) {
          this.applyFused(name, p, g0, lr, wd);
        } else if (c.kind === "sgd") {
          const g = wd ? tf.add(g0, tf.mul(p, wd)) : g0;
          const mu = c.momentum ?? 0;
          if (mu) {
            const buf = this.slot(`${name}.momentum`, p);
            // PyTorch: the first step's buffer is the gradient itself.
            buf.assign(t === 1 ? g : tf.add(tf.mul(buf, mu), g));
            p.assign(tf.sub(p, tf.mul(buf, lr)));
          } else {
            p.assign(tf.sub(p, tf.mul(g, lr)));
          }
        } else {
          const b1 = c.beta1 ?? 0.9;
          const b2 = c.beta2 ?? 0.999;
          const eps = c.epsilon ?? 1e-8;
          const g = c.kind === "adam" && wd ? tf.add(g0, tf.mul(p, wd)) : g0;
          const m = this.slot(`${name}.m`, p);
          const v = this.slot(`${name}.v`, p);
          m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
          v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
          const mHat = tf.div(m, 1 - b1 ** t);
          const vHat = tf.div(v, 1 - b2 ** t);
          let next = tf.sub(p, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), eps)), lr));
          if (c.kind === "adamw" && wd) next = tf.sub(next, tf.mul(p, lr * wd));
          p.assign(next);
        }
      }
    });
  }

  /**
   * The same update rules as one formula per updated tensor (webgpu: a
   * dispatch each instead of one per op; see webgpu/fused.ts). Same terms in
   * the same order; a GPU compiler may still fuse a multiply-add.
   */
  private applyFused(name: string, p: Variable, g: Tensor, lr: number, wd: number): void {
    const c = this.config;
    if (c.kind === "sgd") {
      const mu = c.momentum ?? 0;
      if (!mu) {
        p.assign(fused("p - (g + p * u.wd) * u.lr", { p, g }, { wd, lr }));
        return;
      }
      const buf = this.slot(`${name}.momentum`, p);
      buf.assign(
        this.step === 1
          ? fused("g + p * u.wd", { g, p }, { wd })
          : fused("b * u.mu + (g + p * u.wd)", { b: buf, g, p }, { mu, wd }),
      );
      p.assign(fused("p - b * u.lr", { p, b: buf }, { lr }));
      return;
    }
    const b1 = c.beta1 ?? 0.9;
    const b2 = c.beta2 ?? 0.999;
    const gg = c.kind === "adam" && wd ? "(g + p * u.wd)" : "g";
    const m = this.slot(`${name}.m`, p);
    const v = this.slot(`${name}.v`, p);
    m.assign(fused(`m * u.b1 + ${gg} * u.c1`, { m, g, p }, { b1, c1: 1 - b1, wd }));
    v.assign(fused(`v * u.b2 + (${gg} * ${gg}) * u.c2`, { v, g, p }, { b2, c2: 1 - b2, wd }));
    const bc1 = 1 - b1 ** this.step;
    const bc2 = 1 - b2 ** this.step;
    const lrwd = c.kind === "adamw" ? lr * wd : 0;
    p.assign(
      fused(
        "p - (m / u.bc1) / (sqrt(v / u.bc2) + u.eps) * u.lr - p * u.lrwd",
        { p, m, v },
        {
          bc1,
          bc2,
          eps: c.epsilon ?? 1e-8,
          lr,
          lrwd,
        },
      ),
    );
  }

  state(): OptimizerState {
    return {
      kind: this.config.kind,
      step: this.step,
      slots: [
        ...[...this.slots.entries()].map(([name, v]) => ({
          name,
          shape: [...v.shape],
          values: v.dataSync() as Float32Array,
        })),
        ...[...this.counts.entries()].map(([name, n]) => ({
          name: `${name}${COUNT}`,
          shape: [1],
          values: Float32Array.of(n),
        })),
      ],
    };
  }

  load(state: OptimizerState): void {
    if (state.kind !== this.config.kind) {
      throw new Error(`checkpoint optimiser is ${state.kind}, the run asks for ${this.config.kind}`);
    }
    this.dispose();
    this.step = state.step;
    for (const s of state.slots) {
      if (s.name.endsWith(COUNT)) {
        this.counts.set(s.name.slice(0, -COUNT.length), s.values[0]!);
        continue;
      }
      // Checkpoints from before per-parameter counts: every slot's parameter had every step.
      const param = s.name.slice(0, s.name.lastIndexOf("."));
      if (!this.counts.has(param)) this.counts.set(param, state.step);
      this.slots.set(
        s.name,
        tf.tidy(() => tf.variable(tf.tensor(s.values, s.shape, "float32"), false)),
      );
    }
  }

  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
    this.counts.clear();
  }
}
