// Named trainable parameters with deterministic initialisation.
//
// A model owns one ParamStore; every weight is created through it under a
// unique dotted name ("backbone.0.w"). Names make checkpoints readable and let
// a teacher copy (EMA) line up with its student parameter by parameter.

import type { Tensor, Variable } from "@tensorflow/tfjs-core";
import { tf } from "../tf.js";
import type { Rng } from "./rng.js";

let storeCounter = 0;

export class ParamStore {
  readonly vars = new Map<string, Variable>();
  /** Names of parameters the optimiser must not update (e.g. a frozen backbone). */
  readonly frozen = new Set<string>();

  /** Distinguishes the tfjs variable names of two stores with the same parameter names (student, teacher). */
  private readonly id = ++storeCounter;

  constructor(private readonly rng: Rng) {}

  private add(name: string, shape: number[], values: Float32Array, trainable: boolean): Variable {
    if (this.vars.has(name)) throw new Error(`parameter ${name} defined twice`);
    const v = tf.tidy(() =>
      tf.variable(tf.tensor(values, shape, "float32"), trainable, `${name}@${this.id}`),
    );
    this.vars.set(name, v);
    if (!trainable) this.frozen.add(name);
    return v;
  }

  /** He-normal (fan-in, for ReLU) conv kernel [kh, kw, cin, cout]. */
  convKernel(name: string, kh: number, kw: number, cin: number, cout: number, gain = Math.SQRT2): Variable {
    const n = kh * kw * cin * cout;
    const std = gain / Math.sqrt(kh * kw * cin);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = this.rng.normal() * std;
    return this.add(name, [kh, kw, cin, cout], values, true);
  }

  /** Dense weight [in, out], Glorot-uniform. */
  dense(name: string, fanIn: number, fanOut: number): Variable {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const values = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < values.length; i++) values[i] = this.rng.uniform(-limit, limit);
    return this.add(name, [fanIn, fanOut], values, true);
  }

  /** A vector filled with one value (biases, norm scales). */
  constant(name: string, shape: number[], value: number, trainable = true): Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    return this.add(name, shape, new Float32Array(size).fill(value), trainable);
  }

  /** Arbitrary fixed values (e.g. class embeddings), not trained unless asked. */
  fixed(name: string, shape: number[], values: Float32Array, trainable = false): Variable {
    return this.add(name, shape, values, trainable);
  }

  /** Stops training every parameter whose name starts with `prefix` (e.g. a frozen backbone). */
  freeze(prefix: string): void {
    for (const name of this.vars.keys()) if (name.startsWith(prefix)) this.frozen.add(name);
  }

  get(name: string): Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`unknown parameter ${name}`);
    return v;
  }

  trainable(): Variable[] {
    return [...this.vars.entries()].filter(([n]) => !this.frozen.has(n)).map(([, v]) => v);
  }

  trainableNames(): string[] {
    return [...this.vars.keys()].filter((n) => !this.frozen.has(n));
  }

  /** Copies every value into `other` (same names and shapes), e.g. to initialise a teacher. */
  copyTo(other: ParamStore): void {
    for (const [name, v] of this.vars) other.get(name).assign(v);
  }

  /** Plain snapshot for checkpoints: name → shape and values. */
  snapshot(): { name: string; shape: number[]; values: Float32Array }[] {
    return [...this.vars.entries()].map(([name, v]) => ({
      name,
      shape: [...v.shape],
      values: v.dataSync() as Float32Array,
    }));
  }

  load(entries: { name: string; shape: number[]; values: Float32Array }[]): void {
    for (const e of entries) {
      const v = this.get(e.name);
      if (v.shape.join() !== e.shape.join()) {
        throw new Error(`checkpoint parameter ${e.name} has shape [${e.shape}], model has [${v.shape}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(e.values, e.shape, "float32")));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }

  /** Total number of scalar parameters. */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }
}

export type { Tensor };
