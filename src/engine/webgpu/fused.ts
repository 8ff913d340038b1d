// One compute dispatch for an elementwise formula over same-shape float32
// tensors, on the webgpu backend. On a GPU, a small model's step costs about
// as much per dispatch as per FLOP (tfjs bookkeeping + Dawn encoding +
// a compute pass each), and the optimiser alone issues one op per term: SGD
// with momentum and weight decay is 6 ops per parameter tensor, Adam 12. As
// one formula per updated tensor it is 2 (SGD) or 3 (Adam) dispatches
// (train/optimizer.ts). The formula is WGSL over the named inputs (lower
// case) and named f32 uniforms (`u.name`); the program follows
// tfjs-backend-webgpu's own elementwise programs (ClipProgram: flat
// dispatch, `getXByOutputIndex`, `setOutputAtIndex`).

import type {
  NamedAttrMap,
  NamedTensorInfoMap,
  NamedTensorMap,
  Tensor,
  TensorInfo,
} from "@tensorflow/tfjs-core";
import { tf } from "../tf.js";

export const FUSED_KERNEL = "LabelsweepFusedElementwise";

interface WebgpuUtil {
  flatDispatchLayout(shape: number[]): { x: number[] };
  computeDispatch(
    layout: { x: number[] },
    shape: number[],
    workgroupSize: [number, number, number],
  ): [number, number, number];
}

interface WebgpuBackendLike {
  runWebGPUProgram(
    program: object,
    inputs: TensorInfo[],
    dtype: "float32",
    uniforms: { type: "float32"; data: number[] }[],
  ): TensorInfo;
}

class ElementwiseProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;
  readonly uniforms: string;
  readonly shaderKey: string;

  constructor(
    private readonly formula: string,
    private readonly names: string[],
    uniformNames: string[],
    shape: number[],
    util: WebgpuUtil,
  ) {
    // tfjs generates get<Name>ByOutputIndex for each variable name (first letter upper-cased).
    this.variableNames = names.map((n) => n.toUpperCase());
    this.outputShape = shape;
    this.dispatchLayout = util.flatDispatchLayout(shape);
    this.dispatch = util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
    this.uniforms = uniformNames.map((n) => `${n} : f32,`).join(" ");
    this.shaderKey = `labelsweep_fused_${names.join("_")}_${uniformNames.join("_")}_${formula}`;
  }

  getUserCode(): string {
    const reads = this.names
      .map((n) => `let ${n} = get${n.toUpperCase()}ByOutputIndex(index);`)
      .join("\n          ");
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${reads}
          let u = uniforms;
          setOutputAtIndex(index, ${this.formula});
        }
      }
    `;
  }
}

/** Registers the kernel for the webgpu backend (at its start). */
export function registerFusedElementwise(util: WebgpuUtil): void {
  if (tf.getKernel(FUSED_KERNEL, "webgpu")) return;
  tf.registerKernel({
    kernelName: FUSED_KERNEL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { formula, uniformNames, uniformValues } = attrs as unknown as {
        formula: string;
        uniformNames: string[];
        uniformValues: number[];
      };
      const names = Object.keys(inputs);
      const tensors = names.map((n) => (inputs as NamedTensorInfoMap)[n]!);
      const program = new ElementwiseProgram(formula, names, uniformNames, [...tensors[0]!.shape], util);
      return (backend as unknown as WebgpuBackendLike).runWebGPUProgram(
        program,
        tensors,
        "float32",
        uniformValues.map((v) => ({ type: "float32", data: [v] })),
      );
    },
  });
}

/** Whether the active backend runs fused formulas (webgpu only). */
export function canFuse(): boolean {
  return tf.getBackend() === "webgpu" && tf.getKernel(FUSED_KERNEL, "webgpu") !== undefined;
}

/**
 * `formula` (WGSL, f32) evaluated elementwise; inputs are same-shape float32
 * tensors named by lower-case identifiers, uniforms are read as `u.<name>`.
 */
export function fused(
  formula: string,
  inputs: Record<string, Tensor>,
  uniforms: Record<string, number> = {},
): Tensor {
  const uniformNames = Object.keys(uniforms);
  return tf.engine().runKernel(
    FUSED_KERNEL,
    inputs as NamedTensorMap,
    {
      formula,
      uniformNames,
      uniformValues: uniformNames.map((n) => uniforms[n]!),
    } as unknown as NamedAttrMap,
  ) as Tensor;
}
